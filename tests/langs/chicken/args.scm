(import (chicken process-context))
(for-each print (command-line-arguments))
