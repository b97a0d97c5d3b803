using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Qmp.Net.Internal;

namespace Qmp.Net.Tests.Internal;

/// <summary>The engine driven synchronously from one thread: bytes in, bytes out, no sockets, no thread pool.</summary>
public class QmpProtocolTests
{
    private const string Greeting = """{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""}, "capabilities": ["oob"]}}""";

    [Test]
    public void A_command_goes_out_as_its_bytes_and_its_answer_completes_it()
    {
        var (protocol, observer, reader) = Create();
        Feed(protocol, reader, Greeting);
        var command = Submit(protocol, "query-status");

        var wrote = protocol.TryTakeWrite(out var data);
        var text = Encoding.UTF8.GetString(data.Span);
        Feed(protocol, reader, """{"return": {"status": "running"}}""");

        Assert.Multiple(() =>
        {
            Assert.That(observer.Greeting?.Version.Major, Is.EqualTo(7));
            Assert.That(wrote, Is.True);
            Assert.That(text, Is.EqualTo("""{"execute":"query-status"}"""));
            Assert.That(command.TypedTask.Result.GetProperty("status").GetString(), Is.EqualTo("running"));
            Assert.That(observer.NoneLive, Is.EqualTo(1));
        });
    }

    [Test]
    public void Only_a_whole_message_restarts_the_transaction_timer()
    {
        var time = new FakeTimeProvider();
        var (protocol, observer, reader) = Create(time, TimeSpan.FromSeconds(1));
        Feed(protocol, reader, Greeting);
        Submit(protocol, "hang");
        protocol.TryTakeWrite(out _);

        time.Advance(TimeSpan.FromMilliseconds(600));
        Feed(protocol, reader, "   {\"return\": ");
        time.Advance(TimeSpan.FromMilliseconds(600));

        Assert.That(observer.Timeout, Is.Not.Null, "whitespace and half a message did not restart it");
    }

    [Test]
    public void An_event_restarts_the_transaction_timer()
    {
        var time = new FakeTimeProvider();
        var (protocol, observer, reader) = Create(time, TimeSpan.FromSeconds(1));
        Feed(protocol, reader, Greeting);
        Submit(protocol, "hang");
        protocol.TryTakeWrite(out _);

        time.Advance(TimeSpan.FromMilliseconds(600));
        Feed(protocol, reader, """{"event": "TICK", "timestamp": {"seconds": 1, "microseconds": 2}}""");
        time.Advance(TimeSpan.FromMilliseconds(600));
        var afterEvent = observer.Timeout;
        time.Advance(TimeSpan.FromMilliseconds(400));

        Assert.Multiple(() =>
        {
            Assert.That(afterEvent, Is.Null);
            Assert.That(observer.Timeout?.Error, Is.EqualTo(QmpCommunicationError.TransactionTimeout));
        });
    }

    [Test]
    public void A_first_message_that_is_no_greeting_is_a_protocol_violation()
    {
        var (protocol, _, reader) = Create();

        Assert.That(() => Feed(protocol, reader, """{"return": {}}"""), Throws.TypeOf<QmpCommunicationException>());
    }

    [Test]
    public void Close_fails_what_is_pending_and_nothing_more_is_written()
    {
        var (protocol, _, reader) = Create();
        Feed(protocol, reader, Greeting);
        var written = Submit(protocol, "a");
        protocol.TryTakeWrite(out _);
        var queued = Submit(protocol, "b");
        var error = new QmpConnectionClosedException("closed");

        protocol.Close(error);

        Assert.Multiple(() =>
        {
            Assert.That(written.TypedTask.Exception?.InnerException, Is.SameAs(error));
            Assert.That(queued.TypedTask.Exception?.InnerException, Is.SameAs(error));
            Assert.That(protocol.TryTakeWrite(out _), Is.False);
        });
    }

    private static (QmpProtocol Protocol, RecordingObserver Observer, MessageReader Reader) Create(TimeProvider? time = null, TimeSpan? timeout = null)
    {
        var observer = new RecordingObserver();
        var protocol = new QmpProtocol(time ?? new FakeTimeProvider(), timeout ?? Timeout.InfiniteTimeSpan, sendIds: false, NullLogger.Instance, observer);
        return (protocol, observer, new MessageReader(1 << 20));
    }

    private static PendingCommand<JsonElement> Submit(QmpProtocol protocol, string name)
    {
        var command = new PendingCommand<JsonElement>(protocol.Commands, name, CommandEncoder.Encode(name, false, 0, null, QmpJson.DefaultOptions), 0, false, null);
        protocol.Commands.Add(command, out _);
        return command;
    }

    private static void Feed(QmpProtocol protocol, MessageReader reader, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        bytes.CopyTo(reader.GetReceiveBuffer());
        reader.Advance(bytes.Length);
        protocol.Receive(reader);
    }

    private sealed class RecordingObserver : IProtocolObserver
    {
        public QmpGreeting? Greeting { get; private set; }

        public int NoneLive { get; private set; }

        public QmpCommunicationException? Timeout { get; private set; }

        public void OnGreeting(QmpGreeting greeting) => Greeting = greeting;

        public void OnNoCommandsLive() => NoneLive++;

        public void OnWriteNeeded()
        {
        }

        public void OnTransactionTimeout(QmpCommunicationException timeout) => Timeout = timeout;
    }
}
