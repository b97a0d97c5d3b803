using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace Qmp.Net.Internal;

/// <summary>Encodes commands in the fewest bytes that mean them: <c>{"execute":"NAME","arguments":{...},"id":N}</c>,
/// compact, <c>arguments</c> only when there are some, <c>id</c> only when asked for, nothing after the closing brace.</summary>
internal static class CommandEncoder
{
    private static readonly JsonEncodedText s_execute = JsonEncodedText.Encode("execute");
    private static readonly JsonEncodedText s_execOob = JsonEncodedText.Encode("exec-oob");
    private static readonly JsonEncodedText s_arguments = JsonEncodedText.Encode("arguments");
    private static readonly JsonEncodedText s_id = JsonEncodedText.Encode("id");

    /// <summary>How many distinct argument-less commands <see cref="s_plainCommands"/> keeps (QEMU 7.2 has 216 commands).</summary>
    private const int MaxPlainCommands = 256;

    /// <summary>The bytes of in-band commands without arguments and id (<c>query-status</c>, <c>stop</c>, <c>cont</c>...):
    /// always the same for a name, and never written into once encoded, so they are encoded once and shared.</summary>
    private static readonly ConcurrentDictionary<string, byte[]> s_plainCommands = new(StringComparer.Ordinal);

    [ThreadStatic]
    private static EncoderState? t_state;

    /// <summary>Encodes a command whose arguments are given as an untyped object.</summary>
    public static byte[] Encode(string command, bool oob, long id, object? arguments, JsonSerializerOptions options)
    {
        var plain = arguments is null && id == 0 && !oob;
        if (plain && s_plainCommands.TryGetValue(command, out var cached))
        {
            return cached;
        }

        var encoded = EncodeCore(command, oob, id, arguments, options);
        if (plain && s_plainCommands.Count < MaxPlainCommands)
        {
            s_plainCommands.TryAdd(command, encoded);
        }

        return encoded;
    }

    private static byte[] EncodeCore(string command, bool oob, long id, object? arguments, JsonSerializerOptions options) =>
        EncodeWith(command, oob, id, arguments, arguments?.GetType(), options, static (writer, value, o) => WriteArguments(writer, value!, o));

    /// <summary>Encodes a command whose arguments are serialized with source-generated metadata.</summary>
    public static byte[] Encode<TArguments>(string command, bool oob, long id, TArguments arguments, JsonTypeInfo<TArguments> argumentsType) =>
        EncodeWith(command, oob, id, arguments, arguments is null ? null : typeof(TArguments), argumentsType, static (writer, value, type) => JsonSerializer.Serialize(writer, value, type!));

    /// <summary>The one encoding path: <c>execute</c> or <c>exec-oob</c>, the arguments (when <paramref name="argumentsType"/>
    /// is set: written by <paramref name="write"/> and checked to be one JSON object), then the id.</summary>
    private static byte[] EncodeWith<TArguments, TContext>(string command, bool oob, long id, TArguments arguments, Type? argumentsType, TContext context, Action<Utf8JsonWriter, TArguments, TContext> write)
    {
        var state = Rent();
        try
        {
            var writer = state.Begin(command, oob);
            if (argumentsType is not null)
            {
                writer.WritePropertyName(s_arguments);
                writer.Flush();
                var argumentsStart = state.Buffer.WrittenCount;
                write(writer, arguments, context);
                writer.Flush();
                CheckObject(state.Buffer, argumentsStart, argumentsType);
            }

            return state.End(id);
        }
        finally
        {
            Return(state);
        }
    }

    /// <summary>Writes a JSON value given as an element, a document, a node or any serializable object. Also used by
    /// Qmp.Net.Testing for reply and event values, so that its test server writes values exactly as the client does.</summary>
    internal static void WriteArguments(Utf8JsonWriter writer, object arguments, JsonSerializerOptions options)
    {
        switch (arguments)
        {
            case JsonElement element:
                WriteElement(writer, element);
                break;
            case JsonDocument document:
                WriteElement(writer, document.RootElement);
                break;
            case JsonNode node:
                node.WriteTo(writer, options);
                break;
            default:
                JsonTypeInfo typeInfo;
                try
                {
                    typeInfo = options.GetTypeInfo(arguments.GetType());
                }
                catch (NotSupportedException e)
                {
                    throw new NotSupportedException(
                        $"Qmp.Net has no JSON metadata for arguments of type {arguments.GetType()}: reflection-based serialization is off in " +
                        "this application (native AOT, trimming, or a file-based program). Pass the arguments as a JsonObject or JsonElement, " +
                        "use an ExecuteAsync overload that takes a JsonTypeInfo, or set QmpClientOptions.SerializerOptions to options with a " +
                        "source-generated JsonSerializerContext.",
                        e);
                }

                JsonSerializer.Serialize(writer, arguments, typeInfo);
                break;
        }
    }

    /// <summary>Writes an element that a caller parsed from bytes: System.Text.Json's readers accept invalid UTF-8 inside
    /// strings and escapes of lone surrogates, which fail only when the text is transcoded.</summary>
    private static void WriteElement(Utf8JsonWriter writer, JsonElement element)
    {
        // The writer would replace invalid UTF-8 with U+FFFD, sending something other than what the caller gave.
        if (element.ValueKind != JsonValueKind.Undefined && !IsValidUtf8(element))
        {
            throw InvalidText(null);
        }

        try
        {
            element.WriteTo(writer);
        }
        catch (InvalidOperationException e) when (e is not ObjectDisposedException && element.ValueKind != JsonValueKind.Undefined)
        {
            throw InvalidText(e);
        }
    }

    private static bool IsValidUtf8(JsonElement element)
    {
#if NET9_0_OR_GREATER
        return System.Text.Unicode.Utf8.IsValid(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element));
#else
        // No access to the raw bytes before .NET 9: transcoding them fails on invalid UTF-8.
        try
        {
            _ = element.GetRawText();
            return true;
        }
        catch (InvalidOperationException e) when (e is not ObjectDisposedException)
        {
            return false;
        }
#endif
    }

    private static ArgumentException InvalidText(Exception? inner) => new(
        "QMP command arguments must be valid Unicode text, but they hold invalid UTF-8 or an escaped lone surrogate.", "arguments", inner);

    private static void CheckObject(ArrayBufferWriter<byte> buffer, int start, Type type)
    {
        var written = buffer.WrittenSpan;
        if (written.Length > start && !System.Text.Unicode.Utf8.IsValid(written[start..]))
        {
            throw InvalidText(null);
        }

        if (written.Length <= start || written[start] != (byte)'{')
        {
            // The message names the JSON kind, never the value: arguments may hold secrets.
            var kind = written.Length <= start ? "nothing" : written[start] switch
            {
                (byte)'[' => "an array",
                (byte)'"' => "a string",
                (byte)'n' => "null",
                (byte)'t' or (byte)'f' => "a boolean",
                _ => "a number",
            };
            throw new ArgumentException(
                $"QMP command arguments must be a JSON object, but the value of type {type.Name} serialized to {kind}.", "arguments");
        }
    }

    private static EncoderState Rent()
    {
        var state = t_state ?? new EncoderState();
        t_state = null;
        return state;
    }

    private static void Return(EncoderState state)
    {
        state.Buffer.ResetWrittenCount();
        if (state.Buffer.Capacity <= 64 * 1024)
        {
            t_state = state;
        }
    }

    private sealed class EncoderState
    {
        public ArrayBufferWriter<byte> Buffer { get; } = new(256);

        private Utf8JsonWriter Writer { get; }

        public EncoderState()
        {
            Writer = new Utf8JsonWriter(Buffer, new JsonWriterOptions { Indented = false, SkipValidation = false, MaxDepth = MessageReader.MaxDepth });
        }

        public Utf8JsonWriter Begin(string command, bool oob)
        {
            Buffer.ResetWrittenCount();
            Writer.Reset(Buffer);
            Writer.WriteStartObject();
            Writer.WriteString(oob ? s_execOob : s_execute, command);
            return Writer;
        }

        public byte[] End(long id)
        {
            if (id != 0)
            {
                Writer.WriteNumber(s_id, id);
            }

            Writer.WriteEndObject();
            Writer.Flush();
            return Buffer.WrittenSpan.ToArray();
        }
    }
}
