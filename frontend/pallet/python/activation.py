"""The activation scripts of pallet's virtual environments, one per shell family.

Each sets ``VIRTUAL_ENV`` and ``VIRTUAL_ENV_PROMPT``, puts the environment's scripts folder first
on ``PATH``, unsets ``PYTHONHOME``, prefixes the prompt with ``(prompt)`` unless
``VIRTUAL_ENV_DISABLE_PROMPT`` is set, and defines ``deactivate``, which undoes all of it. These
are pallet's own minimal templates (the variables are what `venv` documents, so tools that read
``VIRTUAL_ENV`` work the same); the values are substituted already quoted for each shell.
"""

from __future__ import annotations

__all__ = ["SCRIPTS", "render"]

_POSIX = """\
# Source this file from bash, zsh or another POSIX shell: `source {bin}/activate`.
# Written by pallet; `deactivate` undoes it.

deactivate () {{
    if [ -n "${{_PALLET_OLD_PATH+set}}" ]; then
        PATH="$_PALLET_OLD_PATH"
        export PATH
        unset _PALLET_OLD_PATH
    fi
    if [ -n "${{_PALLET_OLD_PYTHONHOME+set}}" ]; then
        PYTHONHOME="$_PALLET_OLD_PYTHONHOME"
        export PYTHONHOME
        unset _PALLET_OLD_PYTHONHOME
    fi
    if [ -n "${{_PALLET_OLD_PS1+set}}" ]; then
        PS1="$_PALLET_OLD_PS1"
        export PS1
        unset _PALLET_OLD_PS1
    fi
    unset VIRTUAL_ENV VIRTUAL_ENV_PROMPT
    hash -r 2>/dev/null
    if [ "${{1-}}" != "nondestructive" ]; then
        unset -f deactivate
    fi
}}

deactivate nondestructive

VIRTUAL_ENV={sh_path}
VIRTUAL_ENV_PROMPT={sh_prompt}
export VIRTUAL_ENV VIRTUAL_ENV_PROMPT

_PALLET_OLD_PATH="$PATH"
PATH="$VIRTUAL_ENV/{bin}:$PATH"
export PATH

if [ -n "${{PYTHONHOME+set}}" ]; then
    _PALLET_OLD_PYTHONHOME="$PYTHONHOME"
    unset PYTHONHOME
fi

if [ -z "${{VIRTUAL_ENV_DISABLE_PROMPT-}}" ]; then
    _PALLET_OLD_PS1="${{PS1-}}"
    PS1="($VIRTUAL_ENV_PROMPT) ${{PS1-}}"
    export PS1
fi

hash -r 2>/dev/null
"""

_FISH = """\
# Source this file from fish: `source {bin}/activate.fish`.
# Written by pallet; `deactivate` undoes it.

function deactivate -d 'Leave the virtual environment'
    if set -q _PALLET_OLD_PATH
        set -gx PATH $_PALLET_OLD_PATH
        set -e _PALLET_OLD_PATH
    end
    if set -q _PALLET_OLD_PYTHONHOME
        set -gx PYTHONHOME $_PALLET_OLD_PYTHONHOME
        set -e _PALLET_OLD_PYTHONHOME
    end
    if functions -q _pallet_old_fish_prompt
        functions -e fish_prompt
        functions -c _pallet_old_fish_prompt fish_prompt
        functions -e _pallet_old_fish_prompt
    end
    set -e VIRTUAL_ENV
    set -e VIRTUAL_ENV_PROMPT
    if test "$argv[1]" != nondestructive
        functions -e deactivate
    end
end

deactivate nondestructive

set -gx VIRTUAL_ENV {fish_path}
set -gx VIRTUAL_ENV_PROMPT {fish_prompt}
set -gx _PALLET_OLD_PATH $PATH
set -gx PATH "$VIRTUAL_ENV/{bin}" $PATH

if set -q PYTHONHOME
    set -gx _PALLET_OLD_PYTHONHOME $PYTHONHOME
    set -e PYTHONHOME
end

if test -z "$VIRTUAL_ENV_DISABLE_PROMPT"
    functions -c fish_prompt _pallet_old_fish_prompt
    function fish_prompt
        set -l last_status $status
        printf '(%s) ' $VIRTUAL_ENV_PROMPT
        # give the old prompt the exit status it would have seen
        echo "exit $last_status" | source
        _pallet_old_fish_prompt
    end
end
"""

_CSH = """\
# Source this file from csh or tcsh: `source {bin}/activate.csh`.
# Written by pallet; `deactivate` undoes it.

alias deactivate 'test $?_PALLET_OLD_PATH != 0 && setenv PATH "$_PALLET_OLD_PATH" && unset _PALLET_OLD_PATH; test $?_PALLET_OLD_PROMPT != 0 && set prompt="$_PALLET_OLD_PROMPT" && unset _PALLET_OLD_PROMPT; unsetenv VIRTUAL_ENV; unsetenv VIRTUAL_ENV_PROMPT; rehash; test "\\!:*" != "nondestructive" && unalias deactivate'

deactivate nondestructive

setenv VIRTUAL_ENV {csh_path}
setenv VIRTUAL_ENV_PROMPT {csh_prompt}
set _PALLET_OLD_PATH="$PATH"
setenv PATH "$VIRTUAL_ENV/{bin}:$PATH"

if ( $?prompt && ! $?VIRTUAL_ENV_DISABLE_PROMPT ) then
    set _PALLET_OLD_PROMPT="$prompt"
    set prompt = "($VIRTUAL_ENV_PROMPT) $prompt"
endif

rehash
"""  # noqa: E501

_POWERSHELL = """\
# Dot-source this file from PowerShell: `. {bin}/Activate.ps1`.
# Written by pallet; `deactivate` undoes it.

function global:deactivate([switch] $NonDestructive) {{
    if (Test-Path variable:global:_PALLET_OLD_PATH) {{
        $env:PATH = $global:_PALLET_OLD_PATH
        Remove-Variable -Name _PALLET_OLD_PATH -Scope Global
    }}
    if (Test-Path function:global:_pallet_old_prompt) {{
        Set-Item -Path function:global:prompt -Value $function:_pallet_old_prompt
        Remove-Item -Path function:global:_pallet_old_prompt
    }}
    if (Test-Path env:VIRTUAL_ENV) {{ Remove-Item -Path env:VIRTUAL_ENV }}
    if (Test-Path env:VIRTUAL_ENV_PROMPT) {{ Remove-Item -Path env:VIRTUAL_ENV_PROMPT }}
    if (-not $NonDestructive) {{ Remove-Item -Path function:global:deactivate }}
}}

deactivate -NonDestructive

$env:VIRTUAL_ENV = {ps_path}
$env:VIRTUAL_ENV_PROMPT = {ps_prompt}
$global:_PALLET_OLD_PATH = $env:PATH
$env:PATH = (Join-Path $env:VIRTUAL_ENV '{bin}') + [System.IO.Path]::PathSeparator + $env:PATH

if (-not $env:VIRTUAL_ENV_DISABLE_PROMPT) {{
    Set-Item -Path function:global:_pallet_old_prompt -Value $function:prompt
    function global:prompt {{
        Write-Host -NoNewline "($env:VIRTUAL_ENV_PROMPT) "
        & $function:_pallet_old_prompt
    }}
}}
"""

#: The file name of each script in the scripts folder, and its template.
SCRIPTS = {
    "activate": _POSIX,
    "activate.fish": _FISH,
    "activate.csh": _CSH,
    "Activate.ps1": _POWERSHELL,
}


def _sh(value: str) -> str:
    """POSIX shell (and csh) single quotes: a quote is closed, escaped, reopened."""
    return "'" + value.replace("'", "'\\''") + "'"


def _csh(value: str) -> str:
    """csh single quotes, as sh, with ``!`` (history substitution) escaped too."""
    return "'" + value.replace("'", "'\\''").replace("!", "\\!") + "'"


def _fish(value: str) -> str:
    """fish single quotes: only ``\\`` and ``'`` are escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _ps(value: str) -> str:
    """PowerShell single quotes: a quote is doubled."""
    return "'" + value.replace("'", "''") + "'"


def render(name: str, venv_path: str, prompt: str, bin_name: str) -> str:
    """The text of activation script `name` for the environment at `venv_path`."""
    return SCRIPTS[name].format(
        bin=bin_name,
        sh_path=_sh(venv_path),
        sh_prompt=_sh(prompt),
        fish_path=_fish(venv_path),
        fish_prompt=_fish(prompt),
        csh_path=_csh(venv_path),
        csh_prompt=_csh(prompt),
        ps_path=_ps(venv_path),
        ps_prompt=_ps(prompt),
    )
