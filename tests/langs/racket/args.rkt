#lang racket/base
(for ([a (current-command-line-arguments)]) (displayln a))
