namespace Qmp.Net.Qapi.Tests.Support;

/// <summary>Paths inside the repository the tests run from.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string Schemas => Path.Combine(Root, "src", "Qmp.Net.QapiGen", "Schemas");

    public static string Generated => Path.Combine(Root, "src", "Qmp.Net.Qapi", "Generated");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Qmp.Net.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (Qmp.Net.sln) was not found above " + AppContext.BaseDirectory);
    }
}
