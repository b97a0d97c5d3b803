namespace Qmp.Net.Shell.Cli;

/// <summary>A mistake found in a command before it was sent, with where it was typed.</summary>
/// <param name="Message">What is wrong.</param>
/// <param name="Position">Where in the line.</param>
/// <param name="Length">How many characters.</param>
internal sealed record RequestProblem(string Message, int Position, int Length);
