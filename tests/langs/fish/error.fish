if true
    echo x
