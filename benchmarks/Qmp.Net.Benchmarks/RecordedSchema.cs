using System.IO.Compression;
using System.Text;

namespace Qmp.Net.Benchmarks;

/// <summary>The <c>query-qmp-schema</c> return value of Debian's QEMU 7.2.22 (<c>-machine none</c>), recorded once and
/// embedded gzipped (query-qmp-schema-7.2.json.gz, 1,051 entities, 186 KB of JSON). Introspection carries names and
/// masked type numbers only, no documentation. To record it again, send <c>qmp_capabilities</c> and
/// <c>query-qmp-schema</c> to a QEMU and save the reply's <c>return</c> value as compact JSON.</summary>
public static class RecordedSchema
{
    private static readonly Lazy<byte[]> s_reply = new(Load);

    /// <summary>Gets the whole reply line, <c>{"return": [...]}</c> and CRLF, as QEMU would send it.</summary>
    public static byte[] Reply => s_reply.Value;

    private static byte[] Load()
    {
        using var resource = typeof(RecordedSchema).Assembly.GetManifestResourceStream("query-qmp-schema-7.2.json.gz")
            ?? throw new InvalidOperationException("The embedded resource query-qmp-schema-7.2.json.gz is missing.");
        using var gzip = new GZipStream(resource, CompressionMode.Decompress);
        using var reply = new MemoryStream();
        reply.Write("{\"return\": "u8);
        gzip.CopyTo(reply);
        reply.Write("}\r\n"u8);
        return reply.ToArray();
    }
}
