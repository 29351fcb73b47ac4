console.log ("x"
