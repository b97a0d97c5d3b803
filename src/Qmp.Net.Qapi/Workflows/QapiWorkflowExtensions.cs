using System.Text.Json;
using System.Text.Json.Nodes;
using Qmp.Net.Jobs;
using Qmp.Net.Migration;
using Qmp.Net.Qapi.Serialization;

namespace Qmp.Net.Qapi;

/// <summary>Typed entry points to the workflow helpers of Qmp.Net (docs/workflows.md): jobs started from the generated
/// argument records, migration parameters from <see cref="MigrateSetParameters"/>. They only convert the record to
/// JSON (AOT-safe, through the generated serializer context) and call the untyped helper.</summary>
public static class QapiWorkflowExtensions
{
    /// <summary>Starts a <c>blockdev-mirror</c> job.</summary>
    /// <param name="jobs">The job manager.</param>
    /// <param name="arguments">The command's arguments; without <c>job-id</c> one is chosen.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>The job's handle.</returns>
    /// <exception cref="QmpErrorException">QEMU refused the command.</exception>
    public static Task<QmpJob> StartMirrorAsync(this QmpJobManager jobs, BlockdevMirrorArguments arguments, CancellationToken cancellationToken = default) =>
        StartAsync(jobs, "blockdev-mirror", arguments, cancellationToken);

    /// <summary>Starts a <c>blockdev-backup</c> job.</summary>
    /// <param name="jobs">The job manager.</param>
    /// <param name="arguments">The command's arguments; without <c>job-id</c> one is chosen.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>The job's handle.</returns>
    /// <exception cref="QmpErrorException">QEMU refused the command.</exception>
    public static Task<QmpJob> StartBackupAsync(this QmpJobManager jobs, BlockdevBackup arguments, CancellationToken cancellationToken = default) =>
        StartAsync(jobs, "blockdev-backup", arguments, cancellationToken);

    /// <summary>Starts a <c>block-stream</c> job.</summary>
    /// <param name="jobs">The job manager.</param>
    /// <param name="arguments">The command's arguments; without <c>job-id</c> one is chosen.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>The job's handle.</returns>
    /// <exception cref="QmpErrorException">QEMU refused the command.</exception>
    public static Task<QmpJob> StartStreamAsync(this QmpJobManager jobs, BlockStreamArguments arguments, CancellationToken cancellationToken = default) =>
        StartAsync(jobs, "block-stream", arguments, cancellationToken);

    /// <summary>Starts a <c>block-commit</c> job.</summary>
    /// <param name="jobs">The job manager.</param>
    /// <param name="arguments">The command's arguments; without <c>job-id</c> one is chosen.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>The job's handle.</returns>
    /// <exception cref="QmpErrorException">QEMU refused the command.</exception>
    public static Task<QmpJob> StartCommitAsync(this QmpJobManager jobs, BlockCommitArguments arguments, CancellationToken cancellationToken = default) =>
        StartAsync(jobs, "block-commit", arguments, cancellationToken);

    /// <summary>Starts a <c>blockdev-create</c> job.</summary>
    /// <param name="jobs">The job manager.</param>
    /// <param name="arguments">The command's arguments.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>The job's handle.</returns>
    /// <exception cref="QmpErrorException">QEMU refused the command.</exception>
    public static Task<QmpJob> StartCreateAsync(this QmpJobManager jobs, BlockdevCreateArguments arguments, CancellationToken cancellationToken = default) =>
        StartAsync(jobs, "blockdev-create", arguments, cancellationToken);

    /// <summary>Returns migration options whose <see cref="QmpMigrationOptions.Parameters"/> are the typed parameters.</summary>
    /// <param name="options">The options to extend.</param>
    /// <param name="parameters">The <c>migrate-set-parameters</c> arguments.</param>
    /// <returns>A copy of <paramref name="options"/> with the parameters.</returns>
    public static QmpMigrationOptions WithParameters(this QmpMigrationOptions options, MigrateSetParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(parameters);
        return options with { Parameters = ToObject(parameters) };
    }

    private static Task<QmpJob> StartAsync<T>(QmpJobManager jobs, string command, T arguments, CancellationToken cancellationToken)
        where T : IQapiJson<T>
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(arguments);
        return jobs.StartAsync(command, ToObject(arguments), cancellationToken);
    }

    private static JsonObject ToObject<T>(T value)
        where T : IQapiJson<T> =>
        JsonObject.Create(QapiJson.ToElement(value, QapiJson.Write<T>))
        ?? throw new InvalidOperationException($"{typeof(T).Name} did not serialize to a JSON object.");
}
