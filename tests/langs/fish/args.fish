for a in $argv
    printf '%s\n' $a
end
