using System.Diagnostics;
using Qmp.Net.Sessions;

namespace Qmp.Net.IntegrationTests;

/// <summary>The reconnecting session against real QEMU, every generation found (7.2 and 10.0.2): QEMU restarted behind a
/// monitor it listens on, and QEMU connecting again to a <see cref="QmpListener"/> after a drop.</summary>
[TestFixtureSource(typeof(QemuGeneration), nameof(QemuGeneration.All))]
[CancelAfter(90_000)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SessionTests(QemuGeneration qemu)
{
    private static readonly QmpSessionOptions s_fast = QmpSessionOptions.Default with { ReconnectDelay = TimeSpan.FromMilliseconds(20), MaxReconnectDelay = TimeSpan.FromMilliseconds(200) };

    private static async Task<QmpSessionEvent> NextAsync(IAsyncEnumerator<QmpSessionEvent> events)
    {
        Assert.That(await events.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)), Is.True, "the event stream ended");
        return events.Current;
    }

    [Test]
    public async Task A_session_survives_QEMU_restarted_behind_its_monitor_and_marks_the_gap(CancellationToken cancellationToken)
    {
        var directory = QemuFixture.CreatePrivateDirectory();
        var socket = Path.Combine(directory, "vm.sock");
        string[] monitor = ["-qmp", $"unix:{socket},server=on,wait=off"];
        var statusesSeenByHook = new List<string>();
        var options = s_fast with
        {
            OnReconnected = async (client, token) =>
            {
                var status = await client.ExecuteAsync("query-status", cancellationToken: token);
                statusesSeenByHook.Add(status.GetProperty("status").GetString()!);
            },
        };
        var first = qemu.Start(monitor);
        Process? second = null;
        try
        {
            await using var session = QmpSession.ForEndpoint(QmpEndpoint.Unix(socket), options: options);
            await session.StartAsync(cancellationToken);
            await using var events = session.ReadEventsAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
            await session.ExecuteAsync("cont", cancellationToken: cancellationToken);
            Assert.That((await NextAsync(events)).Event?.Name, Is.EqualTo("RESUME"));

            first.Kill();
            await first.WaitForExitAsync(cancellationToken);
            second = qemu.Start(monitor);
            var gap = await NextAsync(events);
            var status = await session.ExecuteAsync("query-status", cancellationToken: cancellationToken);

            Assert.Multiple(() =>
            {
                Assert.That(gap.IsGap, Is.True);
                Assert.That(gap.Gap!.Duration, Is.GreaterThan(TimeSpan.Zero));
                Assert.That(statusesSeenByHook, Is.EqualTo(new[] { "prelaunch" }), "the hook re-read the new QEMU's state");
                Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("prelaunch"), "a new QEMU: the gap is not continuity");
                Assert.That(session.ReconnectCount, Is.EqualTo(1));
            });
        }
        finally
        {
            foreach (var process in new[] { first, second })
            {
                if (process is { HasExited: false })
                {
                    process.Kill();
                    await process.WaitForExitAsync(CancellationToken.None);
                }

                process?.Dispose();
            }

            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public async Task A_session_on_a_listener_gets_QEMUs_reconnection_after_a_drop(CancellationToken cancellationToken)
    {
        var reconnect = QemuGeneration.ReconnectOption(await qemu.VersionAsync());
        var directory = QemuFixture.CreatePrivateDirectory();
        await using var listener = QmpListener.Listen(QmpEndpoint.Unix(Path.Combine(directory, "qmp.sock")));
        var process = qemu.Start("-chardev", $"socket,id=m0,path={((QmpUnixEndpoint)listener.Endpoint).Path},{reconnect}", "-mon", "chardev=m0,mode=control");
        try
        {
            await using var session = QmpSession.ForListener(listener, s_fast);
            await session.StartAsync(cancellationToken);
            await using var events = session.ReadEventsAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
            await session.ExecuteAsync("cont", cancellationToken: cancellationToken);
            Assert.That((await NextAsync(events)).Event?.Name, Is.EqualTo("RESUME"));

            session.Client!.Abort();
            var gap = await NextAsync(events);
            var status = await session.ExecuteAsync("query-status", cancellationToken: cancellationToken);
            await session.ExecuteAsync("stop", cancellationToken: cancellationToken);
            var stopped = await NextAsync(events);

            Assert.Multiple(() =>
            {
                Assert.That(gap.IsGap, Is.True, "the gap comes before anything of the new connection");
                Assert.That(status.GetProperty("status").GetString(), Is.EqualTo("running"), "the same QEMU, state carried over");
                Assert.That(stopped.Event?.Name, Is.EqualTo("STOP"), "no RESUME replayed from the first connection");
                Assert.That(session.ReconnectCount, Is.EqualTo(1));
            });
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            await process.WaitForExitAsync(CancellationToken.None);
            process.Dispose();
            Directory.Delete(directory, recursive: true);
        }
    }
}
