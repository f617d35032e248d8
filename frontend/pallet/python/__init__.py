"""Python interpreters: discovery (`discovery`) and the facts of one interpreter (`facts`)."""
