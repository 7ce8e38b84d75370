# bash completion for labctl: commands, options, lab names, a lab's
# services, jobs and checks. The candidates come from labctl itself
# (`labctl __complete WORDS...`), so they follow the command tables and the
# labs it finds. Installed by `make install` into
# $(PREFIX)/share/bash-completion/completions/labctl.
_labctl()
{
	local cur=${COMP_WORDS[COMP_CWORD]}
	local IFS=$'\n'
	local cands
	cands=$("${COMP_WORDS[0]}" __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) || return
	if [[ $cands == __files__ ]]; then
		COMPREPLY=($(compgen -f -- "$cur"))
		compopt -o filenames 2>/dev/null
		return
	fi
	COMPREPLY=($(compgen -W "$cands" -- "$cur"))
}
complete -F _labctl labctl
