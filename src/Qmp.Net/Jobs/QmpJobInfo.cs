namespace Qmp.Net.Jobs;

/// <summary>One entry of <c>query-jobs</c>.</summary>
internal readonly record struct QmpJobInfo(string Id, string Type, QmpJobStatus Status, long Current, long Total, string? Error);
