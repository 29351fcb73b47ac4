for (const a of process.argv.slice(2) as string[]) console.log(a);
