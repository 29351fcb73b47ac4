(doseq [a *command-line-args*] (println a))
