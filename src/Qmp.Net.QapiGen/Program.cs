using Qmp.Net.QapiGen;

return Cli.Run(args);
