namespace Qmp.Net.Shell.Input;

/// <summary>Where one argument was written in the line: its key and its value.</summary>
/// <param name="KeyStart">Position of the key's first character.</param>
/// <param name="KeyLength">Length of the key.</param>
/// <param name="ValueStart">Position of the value's first character (just after '=').</param>
/// <param name="ValueLength">Length of the value (0 for an empty value).</param>
internal readonly record struct ArgumentSpan(int KeyStart, int KeyLength, int ValueStart, int ValueLength);
