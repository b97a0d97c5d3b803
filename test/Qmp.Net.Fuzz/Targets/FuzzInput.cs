namespace Qmp.Net.Fuzz.Targets;

/// <summary>How a target reads its input: an optional two-byte header <c>0xFF, config</c> chooses how the target runs
/// (chunk sizes, options); the rest is the data. Inputs without the header (real traffic, as recorded) run with the
/// target's defaults, so seeds stay byte-for-byte what QEMU sent.</summary>
internal readonly ref struct FuzzInput
{
    public const byte HeaderMark = 0xFF;

    public FuzzInput(ReadOnlySpan<byte> input, byte defaultConfig)
    {
        if (input.Length >= 2 && input[0] == HeaderMark)
        {
            Config = input[1];
            Data = input[2..];
        }
        else
        {
            Config = defaultConfig;
            Data = input;
        }
    }

    /// <summary>Gets the configuration byte (the header's, or the target's default).</summary>
    public byte Config { get; }

    /// <summary>Gets the data after the header.</summary>
    public ReadOnlySpan<byte> Data { get; }
}
