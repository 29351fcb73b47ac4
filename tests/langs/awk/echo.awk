BEGIN { RS = "^$"; ORS = "" } { print }
