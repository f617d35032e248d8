"""Python interpreters (`discovery`, `facts`) and the project's virtual environment (`venv`)."""
