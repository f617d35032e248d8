"""Shell completion scripts for bash, zsh, fish and PowerShell, generated from the argparse parser.

`describe` walks the parser into a flat table of command paths (``()``, ``("cache",)``,
``("variants", "add")`` ...) with their sub-commands and options; one writer per shell turns that
table into a script. Options whose value is a path complete files or folders. Nothing here is
third-party: each script uses its shell's own completion machinery.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["SHELLS", "Command", "Option", "describe", "make_script"]

SHELLS = ("bash", "zsh", "fish", "powershell")


@dataclass(frozen=True)
class Option:
    flags: tuple[str, ...]
    help: str
    takes_value: bool
    choices: tuple[str, ...] = ()
    kind: str = ""  # "file", "dir" or "" (any word)


@dataclass
class Command:
    path: tuple[str, ...]
    help: str
    subcommands: dict[str, str] = field(default_factory=dict)  # name -> one-line help
    options: list[Option] = field(default_factory=list)
    positional_kind: str = ""  # "file" when a positional argument is a path
    positional_choices: tuple[str, ...] = ()  # the first positional argument's choices


def _path_kind(action: argparse.Action) -> str:
    metavar = str(action.metavar or "")
    if metavar == "DIR" or action.dest in ("project", "out_dir", "output_dir"):
        return "dir"
    if action.type is Path or metavar in ("FILE", "PATH"):
        return "file"
    return ""


def describe(parser: argparse.ArgumentParser) -> list[Command]:
    """Every command path of `parser`, the root first, in the parser's order."""
    commands: list[Command] = []
    _walk(parser, (), "", commands)
    return commands


def _walk(
    parser: argparse.ArgumentParser, path: tuple[str, ...], help_text: str, out: list[Command]
) -> None:
    command = Command(path, help_text)
    out.append(command)
    children: list[tuple[str, argparse.ArgumentParser]] = []
    for action in parser._actions:  # argparse has no public walk over its actions
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: str(a.help or "") for a in action._choices_actions}
            for name, sub in action.choices.items():
                command.subcommands[name] = helps.get(name, "")
                children.append((name, sub))
        elif action.option_strings:
            if action.help == argparse.SUPPRESS:
                continue
            command.options.append(
                Option(
                    tuple(action.option_strings),
                    str(action.help or "").replace("%(default)s", str(action.default)),
                    action.nargs != 0,
                    tuple(str(c) for c in action.choices or ()),
                    _path_kind(action) if action.nargs != 0 else "",
                )
            )
        elif action.choices and not command.positional_choices:
            command.positional_choices = tuple(str(c) for c in action.choices)
        elif _path_kind(action):
            command.positional_kind = "file"
    for name, sub in children:
        _walk(sub, (*path, name), command.subcommands[name], out)


def make_script(shell: str, commands: list[Command], prog: str = "pallet") -> str:
    """The completion script for `shell` (one of `SHELLS`)."""
    if shell == "bash":
        return _bash(commands, prog)
    if shell == "zsh":
        # zsh runs bash completion functions through its own bashcompinit module.
        return (
            f"#compdef {prog}\n# pallet completion for zsh (through zsh's bashcompinit)\n"
            "autoload -U +X bashcompinit && bashcompinit\n" + _bash(commands, prog)
        )
    if shell == "fish":
        return _fish(commands, prog)
    if shell == "powershell":
        return _powershell(commands, prog)
    raise ValueError(f"unknown shell {shell!r}")


def _func(prog: str) -> str:
    return "_" + prog.replace("-", "_")


def _bash(commands: list[Command], prog: str) -> str:
    fn = _func(prog)
    subs, opts, values, kinds = [], [], [], []
    for c in commands:
        key = " ".join(c.path)
        if c.subcommands:
            subs.append(f'    "{key}") echo "{" ".join(c.subcommands)}" ;;')
        opts.append(f'    "{key}") echo "{" ".join(f for o in c.options for f in o.flags)}" ;;')
        taking = [f for o in c.options if o.takes_value for f in o.flags]
        if taking:
            values.append(f'    "{key}") echo "{" ".join(taking)}" ;;')
        for o in c.options:
            for flag in o.flags:
                if o.choices:
                    kinds.append(f'    "{key}|{flag}") echo "words {" ".join(o.choices)}" ;;')
                elif o.kind:
                    kinds.append(f'    "{key}|{flag}") echo "{o.kind}" ;;')
        if c.positional_choices:
            kinds.append(f'    "{key}|") echo "words {" ".join(c.positional_choices)}" ;;')
        elif c.positional_kind:
            kinds.append(f'    "{key}|") echo "file" ;;')
    return f"""# {prog} completion for bash: generated from {prog}'s argument parser
{fn}_subs() {{
  case "$1" in
{chr(10).join(subs)}
  esac
}}
{fn}_opts() {{
  case "$1" in
{chr(10).join(opts)}
  esac
}}
{fn}_values() {{
  case "$1" in
{chr(10).join(values)}
  esac
}}
{fn}_kind() {{
  case "$1" in
{chr(10).join(kinds)}
  esac
}}
{fn}_has() {{
  local w
  for w in $1; do [[ "$w" == "$2" ]] && return 0; done
  return 1
}}
{fn}() {{
  local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="" path="" i w skip=0 kind
  (( COMP_CWORD > 0 )) && prev="${{COMP_WORDS[COMP_CWORD-1]}}"
  for (( i = 1; i < COMP_CWORD; i++ )); do
    w="${{COMP_WORDS[i]}}"
    if (( skip )); then skip=0; continue; fi
    if [[ "$w" == -* ]]; then
      {fn}_has "$({fn}_values "$path")" "$w" && skip=1
      continue
    fi
    {fn}_has "$({fn}_subs "$path")" "$w" && path="${{path:+$path }}$w"
  done
  COMPREPLY=()
  if (( COMP_CWORD > 1 )) && [[ "$prev" == -* ]] && {fn}_has "$({fn}_values "$path")" "$prev"; then
    kind="$({fn}_kind "$path|$prev")"
    case "$kind" in
      words\\ *) COMPREPLY=( $(compgen -W "${{kind#words }}" -- "$cur") ) ;;
      dir) COMPREPLY=( $(compgen -d -- "$cur") ) ;;
      file) COMPREPLY=( $(compgen -f -- "$cur") ) ;;
    esac
    return 0
  fi
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$({fn}_opts "$path")" -- "$cur") )
  else
    COMPREPLY=( $(compgen -W "$({fn}_subs "$path")" -- "$cur") )
    kind="$({fn}_kind "$path|")"
    if (( ${{#COMPREPLY[@]}} == 0 )); then
      case "$kind" in
        words\\ *) COMPREPLY=( $(compgen -W "${{kind#words }}" -- "$cur") ) ;;
        file) COMPREPLY=( $(compgen -f -- "$cur") ) ;;
      esac
    fi
  fi
  return 0
}}
complete -o filenames -F {fn} {prog}
"""


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fish(commands: list[Command], prog: str) -> str:
    fn = "__" + prog.replace("-", "_") + "_path_is"
    subs_var = "__" + prog.replace("-", "_") + "_subs"
    names = sorted({name for c in commands for name in c.subcommands})
    lines = [
        f"# {prog} completion for fish: generated from {prog}'s argument parser",
        f"complete -c {prog} -f",
        f"set -g {subs_var} " + " ".join(names),
        "# true when the sub-commands typed so far are exactly the arguments",
        f"function {fn}",
        "    set -l words (commandline -opc)",
        "    set -e words[1]",
        "    set -l path",
        "    for w in $words",
        f"        contains -- $w ${subs_var}; and set path $path $w",
        "    end",
        '    test "$path" = "$argv"',
        "end",
    ]
    for c in commands:
        cond = _fish_quote(" ".join([fn, *c.path]))
        for name, help_text in c.subcommands.items():
            lines.append(
                f"complete -c {prog} -n {cond} -a {name} -d {_fish_quote(help_text or name)}"
            )
        for o in c.options:
            parts = [f"complete -c {prog} -n {cond}"]
            for flag in o.flags:
                parts.append(f"-l {flag[2:]}" if flag.startswith("--") else f"-s {flag[1:]}")
            if o.takes_value:
                parts.append("-r")
                if o.choices:
                    parts.append("-a " + _fish_quote(" ".join(o.choices)))
                elif o.kind == "dir":
                    parts.append("-a '(__fish_complete_directories)'")
                elif o.kind == "file":
                    parts.append("-F")
            parts.append("-d " + _fish_quote(o.help or o.flags[-1]))
            lines.append(" ".join(parts))
        if c.positional_choices:
            lines.append(
                f"complete -c {prog} -n {cond} -a {_fish_quote(' '.join(c.positional_choices))}"
            )
        elif c.positional_kind:
            lines.append(f"complete -c {prog} -n {cond} -F")
    return "\n".join(lines) + "\n"


def _ps_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _powershell(commands: list[Command], prog: str) -> str:
    rows = []
    for c in commands:
        words = [*c.subcommands, *c.positional_choices, *(f for o in c.options for f in o.flags)]
        rows.append(f"    {_ps_quote(' '.join(c.path))} = @({', '.join(map(_ps_quote, words))})")
    values = sorted({f for c in commands for o in c.options if o.takes_value for f in o.flags})
    subs = sorted({name for c in commands for name in c.subcommands})
    return f"""# {prog} completion for PowerShell: generated from {prog}'s argument parser
Register-ArgumentCompleter -Native -CommandName {prog} -ScriptBlock {{
  param($wordToComplete, $commandAst, $cursorPosition)
  $words = @{{
{chr(10).join(rows)}
  }}
  $takesValue = @({", ".join(map(_ps_quote, values))})
  $subcommands = @({", ".join(map(_ps_quote, subs))})
  $path = @()
  $skip = $false
  foreach ($element in $commandAst.CommandElements | Select-Object -Skip 1) {{
    $w = $element.ToString()
    if ($element.Extent.StartOffset -ge $cursorPosition) {{ break }}
    if ($w -eq $wordToComplete) {{ continue }}
    if ($skip) {{ $skip = $false; continue }}
    if ($w.StartsWith('-')) {{ $skip = $takesValue -contains $w; continue }}
    if ($subcommands -contains $w -and $words.ContainsKey((($path + $w) -join ' '))) {{
      $path += $w
    }}
  }}
  $words[($path -join ' ')] | Where-Object {{ $_ -like "$wordToComplete*" }} | ForEach-Object {{
    [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
  }}
}}
"""
