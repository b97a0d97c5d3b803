namespace Qmp.Net.QapiGen;

internal static class Generator
{
    public static int Run(string schemaDir, string outDir) => throw new NotImplementedException();
}
