namespace Qmp.Net;

/// <summary>A QMP server's version, as its greeting reports it.</summary>
/// <param name="Major">The major version.</param>
/// <param name="Minor">The minor version.</param>
/// <param name="Micro">The micro version.</param>
/// <param name="Package">The distribution's package string (may be empty).</param>
public sealed record QmpVersion(int Major, int Minor, int Micro, string Package)
{
    /// <summary>Gets the version as a <see cref="System.Version"/> (major.minor.micro).</summary>
    public Version AsVersion => new(Major, Minor, Micro);

    /// <inheritdoc />
    public override string ToString() => Package.Length == 0 ? $"{Major}.{Minor}.{Micro}" : $"{Major}.{Minor}.{Micro} ({Package})";
}
