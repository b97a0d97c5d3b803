namespace Qmp.Net.Jobs;

/// <summary>An I/O error a block job met (<c>BLOCK_JOB_ERROR</c>).</summary>
/// <param name="Operation">The operation that failed: <c>read</c> or <c>write</c>.</param>
/// <param name="Action">What QEMU did about it: <c>stop</c> (the job pauses until resumed or cancelled), <c>report</c>
/// (the job fails) or <c>ignore</c>.</param>
public sealed record QmpJobIoError(string Operation, string Action);
