using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace Qmp.Net.Tests.Qga;

/// <summary>A scripted guest agent on a real Unix socket: it accepts one connection, splits what it receives into JSON
/// objects (dropping 0xFF bytes, as the real agent's parser resets on them), and answers each through a handler.</summary>
/// <remarks>An independent framer on purpose: the test side must not share the client's reader, or a framing bug would
/// cancel out. Without a handler for a command, <c>guest-sync-delimited</c> is answered as the real agent does (0xFF,
/// then the id) and anything else is left unanswered.</remarks>
internal sealed class FakeGuestAgent : IAsyncDisposable
{
    private readonly string _directory;
    private readonly Socket _listener;
    private readonly Channel<JsonElement> _received = Channel.CreateUnbounded<JsonElement>();
    private readonly List<JsonElement> _all = [];
    private readonly TaskCompletionSource<Socket> _accepted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public FakeGuestAgent(Func<FakeGuestAgent, JsonElement, Task>? handler = null)
    {
        Handler = handler ?? DefaultAsync;
        _directory = Directory.CreateTempSubdirectory("qga-fake-").FullName;
        Path = System.IO.Path.Combine(_directory, "agent.sock");
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(Path));
        _listener.Listen(1);
        _loop = Task.Run(RunAsync);
    }

    public string Path { get; }

    public QmpEndpoint Endpoint => QmpEndpoint.Unix(Path);

    public Func<FakeGuestAgent, JsonElement, Task> Handler { get; set; }

    /// <summary>Gets the raw bytes received so far.</summary>
    public MemoryStream Raw { get; } = new();

    public IReadOnlyList<JsonElement> Received
    {
        get
        {
            lock (_all)
            {
                return [.. _all];
            }
        }
    }

    public int Count(string command) => Received.Count(r => Name(r) == command);

    public static string Name(JsonElement request) => request.GetProperty("execute").GetString()!;

    public static long Id(JsonElement request) => request.GetProperty("id").GetInt64();

    /// <summary>Waits for the next command with the given name (in arrival order, each returned once).</summary>
    public async Task<JsonElement> NextAsync(string command)
    {
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var request = await _received.Reader.ReadAsync(bound.Token);
            if (Name(request) == command)
            {
                return request;
            }
        }
    }

    public async Task SendAsync(string text)
    {
        var bytes = Encoding.Latin1.GetBytes(text);
        var socket = await _accepted.Task;
        await socket.SendAsync(bytes, SocketFlags.None);
    }

    public Task ReplyAsync(JsonElement request, string returnJson) => SendAsync($$"""{"return": {{returnJson}}, "id": {{Id(request)}}}""" + "\n");

    public Task AnswerSyncAsync(JsonElement request) =>
        SendAsync("\u00ff" + $$"""{"return": {{request.GetProperty("arguments").GetProperty("id").GetInt64()}}}""" + "\n");

    public async Task CloseConnectionAsync()
    {
        var socket = await _accepted.Task;
        socket.Shutdown(SocketShutdown.Both);
        socket.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        if (_accepted.Task.IsCompletedSuccessfully)
        {
            _accepted.Task.Result.Dispose();
        }

        _accepted.TrySetCanceled();
        try
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        Directory.Delete(_directory, recursive: true);
    }

    private static Task DefaultAsync(FakeGuestAgent agent, JsonElement request) =>
        Name(request) == "guest-sync-delimited" ? agent.AnswerSyncAsync(request) : Task.CompletedTask;

    private async Task RunAsync()
    {
        Socket socket;
        try
        {
            socket = await _listener.AcceptAsync(_stop.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            return;
        }

        _accepted.TrySetResult(socket);
        var pending = new List<byte>();
        var buffer = new byte[4096];
        while (true)
        {
            int count;
            try
            {
                count = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            if (count == 0)
            {
                return;
            }

            lock (_all)
            {
                Raw.Write(buffer, 0, count);
            }

            foreach (var b in buffer.AsSpan(0, count))
            {
                if (b != 0xFF)
                {
                    pending.Add(b);
                }
            }

            while (TryTakeObject(pending) is { } request)
            {
                lock (_all)
                {
                    _all.Add(request);
                }

                _received.Writer.TryWrite(request);
                try
                {
                    await Handler(this, request);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private static JsonElement? TryTakeObject(List<byte> pending)
    {
        var bytes = pending.ToArray();
        var reader = new Utf8JsonReader(bytes, isFinalBlock: false, default);
        try
        {
            if (!reader.Read() || !reader.TrySkip())
            {
                return null;
            }
        }
        catch (JsonException)
        {
            return null;
        }

        var length = (int)reader.BytesConsumed;
        pending.RemoveRange(0, length);
        using var document = JsonDocument.Parse(bytes.AsMemory(0, length));
        return document.RootElement.Clone();
    }
}
