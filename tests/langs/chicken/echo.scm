(import (chicken io))
(let loop ()
  (let ((s (read-string 4096)))
    (unless (eof-object? s) (write-string s) (loop))))
