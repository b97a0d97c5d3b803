using System.Text.Json.Nodes;
using Qmp.Net.Migration;
using Qmp.Net.Testing;
using Qmp.Net.Tests.Support;

namespace Qmp.Net.Tests.Workflows;

/// <summary><see cref="QmpMigration"/> against the fake server: what it sends first, MIGRATION before the reply, the
/// failure text, a query-migrate that QEMU answers too late during switchover, a lost connection.</summary>
public class MigrationFakeServerTests
{
    [Test]
    public async Task The_events_capability_and_parameters_go_before_migrate_and_setup_before_the_reply_is_seen()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("migrate-set-capabilities", _ => new { });
        server.Handle("migrate-set-parameters", _ => new { });
        server.Handle("migrate", async (_, ct) =>
        {
            await server.EmitEventAsync("MIGRATION", new { status = "setup" }, cancellationToken: ct);
            return new { };
        });
        await using var client = await TestSupport.ConnectAsync(server);

        await using var migration = await QmpMigration.StartAsync(client, "unix:/tmp/m.sock", new QmpMigrationOptions
        {
            MaxBandwidth = 32768, DowntimeLimit = TimeSpan.FromMilliseconds(100), Multifd = true, MultifdChannels = 2,
        }).Bounded();
        await server.EmitEventAsync("MIGRATION", new { status = "active" });
        await server.EmitEventAsync("MIGRATION", new { status = "completed" });
        var status = await migration.Completion.Bounded();

        var names = server.Commands.Select(c => c.Name).Where(n => n != "qmp_capabilities").ToList();
        var capabilities = server.Commands.Single(c => c.Name == "migrate-set-capabilities").Arguments.GetProperty("capabilities");
        var parameters = server.Commands.Single(c => c.Name == "migrate-set-parameters").Arguments;
        Assert.Multiple(() =>
        {
            Assert.That(names, Is.EqualTo(new[] { "migrate-set-capabilities", "migrate-set-parameters", "migrate" }));
            Assert.That(capabilities[0].GetProperty("capability").GetString(), Is.EqualTo("events"));
            Assert.That(capabilities[1].GetProperty("capability").GetString(), Is.EqualTo("multifd"));
            Assert.That(parameters.GetProperty("max-bandwidth").GetInt64(), Is.EqualTo(32768));
            Assert.That(parameters.GetProperty("downtime-limit").GetInt64(), Is.EqualTo(100));
            Assert.That(parameters.GetProperty("multifd-channels").GetInt32(), Is.EqualTo(2));
            Assert.That(status, Is.EqualTo(QmpMigrationStatus.Completed));
        });
    }

    [Test]
    public async Task A_failed_migration_carries_error_desc_from_query_migrate()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("migrate-set-capabilities", _ => new { });
        server.Handle("migrate", _ => new { });
        server.Handle("query-migrate", _ => new JsonObject { ["status"] = "failed", ["error-desc"] = "Unable to write to socket: Broken pipe" });
        await using var client = await TestSupport.ConnectAsync(server);
        await using var migration = await QmpMigration.StartAsync(client, "tcp:127.0.0.1:1").Bounded();

        await server.EmitEventAsync("MIGRATION", new { status = "failed" });
        var failure = Assert.ThrowsAsync<QmpMigrationException>(async () => await migration.Completion.Bounded());

        Assert.That(failure!.QemuError, Is.EqualTo("Unable to write to socket: Broken pipe"));
        Assert.That(failure.Status, Is.EqualTo(QmpMigrationStatus.Failed));
        Assert.That(failure.IsIncoming, Is.False);
    }

    [Test]
    public async Task A_query_migrate_answered_too_late_during_switchover_is_skipped_in_every_one_of_20_rounds()
    {
        var rounds = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => LateQueryRoundAsync()));

        Assert.That(rounds.Select(r => r.Status), Has.All.EqualTo(QmpMigrationStatus.Completed));
        Assert.That(rounds.Select(r => r.Items), Has.All.EqualTo(new[] { QmpMigrationStatus.Active, QmpMigrationStatus.Device }));
    }

    [Test]
    public async Task A_lost_connection_fails_the_migration_with_the_connections_error()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("migrate-set-capabilities", _ => new { });
        server.Handle("migrate", _ => new { });
        await using var client = await TestSupport.ConnectAsync(server);
        await using var migration = await QmpMigration.StartAsync(client, "unix:/tmp/m.sock").Bounded();

        server.ResetConnection();
        var error = await TestSupport.ErrorOf(migration.Completion.Bounded());

        Assert.That(error, Is.InstanceOf<QmpException>().And.Not.InstanceOf<QmpMigrationException>());
    }

    [Test]
    public async Task Attach_racing_the_connections_end_never_hands_out_a_migration_that_cannot_complete()
    {
        // As for QmpJobManager.AttachAsync: the server answers query-migrate and closes in one go, so the event loop may see
        // the end before AttachAsync has read the status. Either AttachAsync fails with the connection's error, or the handle
        // it returns ends with it; it must never hang.
        var handedOut = 0;
        for (var round = 0; round < 60; round++)
        {
            await using var server = await QmpTestServer.StartAsync();
            server.Handle("migrate-set-capabilities", _ => new { });
            server.NeverReply("query-migrate");
            await using var client = await TestSupport.ConnectAsync(server);

            var attach = QmpMigration.AttachAsync(client);
            await server.WaitForCommandAsync("query-migrate").Bounded();
            await server.SendRawAsync(new JsonObject { ["return"] = new JsonObject { ["status"] = "active" } }.ToJsonString() + "\r\n").Bounded();
            await server.CloseConnectionAsync().Bounded();
            QmpMigration migration;
            try
            {
                migration = await attach.Bounded();
            }
            catch (QmpException)
            {
                continue;
            }

            handedOut++;
            await using (migration)
            {
                var error = await TestSupport.ErrorOf(migration.Completion.Bounded());
                Assert.That(error, Is.InstanceOf<QmpException>().And.Not.InstanceOf<QmpMigrationException>(), $"round {round}: a migration attached as the connection ended must fail with the connection's error");
            }
        }

        TestContext.Out.WriteLine($"{handedOut} of 60 rounds handed out a migration before failing it");
    }

    [TestCase("Parameter 'uri' is missing")]
    [TestCase("Parameter 'channels' is unexpected")]
    public async Task Channels_refused_by_a_QEMU_before_8_2_is_a_NotSupportedException_carrying_QEMUs_answer(string answer)
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("migrate-set-capabilities", _ => new { });
        server.HandleError("migrate-incoming", "GenericError", answer);
        await using var client = await TestSupport.ConnectAsync(server);
        var channels = new JsonArray { new JsonObject { ["channel-type"] = "main", ["addr"] = new JsonObject { ["transport"] = "socket", ["type"] = "unix", ["path"] = "/tmp/m.sock" } } };

        var refused = Assert.ThrowsAsync<NotSupportedException>(() => QmpMigration.StartIncomingAsync(client, channels).Bounded());

        Assert.That(refused!.Message, Does.Contain("'channels' argument of migrate-incoming").And.Contain("8.2").And.Contain(answer));
        Assert.That(refused.InnerException, Is.InstanceOf<QmpErrorException>());

        // A URI refused with the same words is QEMU's own error, untranslated.
        server.HandleError("migrate-incoming", "GenericError", answer);
        Assert.ThrowsAsync<QmpErrorException>(() => QmpMigration.StartIncomingAsync(client, "unix:/tmp/m.sock").Bounded());
    }

    [Test]
    public async Task Postcopy_recovery_waits_for_paused_recovers_out_of_band_on_the_destination_and_resumes_on_the_source()
    {
        await using var destinationServer = await QmpTestServer.StartAsync();
        await using var sourceServer = await QmpTestServer.StartAsync();
        foreach (var server in new[] { destinationServer, sourceServer })
        {
            server.Handle("migrate-set-capabilities", _ => new { });
            server.Handle("migrate-incoming", _ => new { });
            server.Handle("migrate", _ => new { });
            server.Handle("migrate-recover", _ => new { });
        }

        await using var destinationClient = await TestSupport.ConnectAsync(destinationServer);
        await using var sourceClient = await TestSupport.ConnectAsync(sourceServer);
        await using var incoming = await QmpMigration.StartIncomingAsync(destinationClient, "tcp:127.0.0.1:4444", new QmpMigrationOptions { PostcopyRam = true }).Bounded();
        await using var outgoing = await QmpMigration.StartAsync(sourceClient, "tcp:127.0.0.1:4444", new QmpMigrationOptions { PostcopyRam = true }).Bounded();

        var paused = incoming.WaitForStatusAsync(QmpMigrationStatus.PostcopyPaused);
        await destinationServer.EmitEventAsync("MIGRATION", new { status = "postcopy-active" });
        await incoming.WaitForStatusAsync(QmpMigrationStatus.PostcopyActive).Bounded();
        Assert.That(paused.IsCompleted, Is.False);
        await destinationServer.EmitEventAsync("MIGRATION", new { status = "postcopy-paused" });
        await paused.Bounded();
        await incoming.WaitForStatusAsync(QmpMigrationStatus.PostcopyPaused).Bounded();

        await incoming.RecoverPostcopyAsync("unix:/tmp/recover.sock").Bounded();
        await outgoing.RecoverPostcopyAsync("unix:/tmp/recover.sock").Bounded();
        var recover = destinationServer.Commands.Single(c => c.Name == "migrate-recover");
        var resume = sourceServer.Commands.Last(c => c.Name == "migrate");
        Assert.Multiple(() =>
        {
            Assert.That(recover.IsOob, Is.True, "migrate-recover goes out of band: the destination's main thread may be stuck on a page fault");
            Assert.That(recover.Arguments.GetProperty("uri").GetString(), Is.EqualTo("unix:/tmp/recover.sock"));
            Assert.That(resume.Arguments.GetProperty("resume").GetBoolean(), Is.True);
            Assert.That(resume.Arguments.GetProperty("uri").GetString(), Is.EqualTo("unix:/tmp/recover.sock"));
        });

        // A wait for a status never reached ends with the migration: completed, or failed with QEMU's error.
        var neverPaused = outgoing.WaitForStatusAsync(QmpMigrationStatus.PostcopyPaused);
        await sourceServer.EmitEventAsync("MIGRATION", new { status = "completed" });
        Assert.ThrowsAsync<InvalidOperationException>(async () => await neverPaused.Bounded());
        var neverCompleted = incoming.WaitForStatusAsync(QmpMigrationStatus.Completed);
        destinationServer.Handle("query-migrate", _ => new JsonObject { ["status"] = "failed", ["error-desc"] = "load of migration failed" });
        await destinationServer.EmitEventAsync("MIGRATION", new { status = "failed" });
        var failed = Assert.ThrowsAsync<QmpMigrationException>(async () => await neverCompleted.Bounded());
        Assert.That(failed!.QemuError, Is.EqualTo("load of migration failed"));
    }

    [Test]
    public async Task A_cancelled_status_wait_throws_and_the_migration_still_completes()
    {
        await using var server = await QmpTestServer.StartAsync();
        server.Handle("migrate-set-capabilities", _ => new { });
        server.Handle("migrate", _ => new { });
        await using var client = await TestSupport.ConnectAsync(server);
        await using var migration = await QmpMigration.StartAsync(client, "unix:/tmp/m.sock").Bounded();
        using var cancel = new CancellationTokenSource();

        var wait = migration.WaitForStatusAsync(QmpMigrationStatus.PostcopyActive, cancel.Token);
        await cancel.CancelAsync();
        Assert.ThrowsAsync<TaskCanceledException>(async () => await wait.Bounded());
        await server.EmitEventAsync("MIGRATION", new { status = "completed" });
        Assert.That(await migration.Completion.Bounded(), Is.EqualTo(QmpMigrationStatus.Completed));
    }

    /// <summary>The second query-migrate is answered only after the client's 1 s bound has passed and it asked again (QEMU
    /// busy at switchover): the stream skips it, the late reply is dropped, and the migration still completes.</summary>
    private static async Task<(QmpMigrationStatus Status, QmpMigrationStatus[] Items)> LateQueryRoundAsync()
    {
        await using var server = await QmpTestServer.StartAsync();
        var queries = 0;
        var deviceSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Handle("migrate-set-capabilities", _ => new { });
        server.Handle("migrate", _ => new { });
        server.Handle("query-migrate", async (_, ct) =>
        {
            switch (Interlocked.Increment(ref queries))
            {
                case 1:
                    return new { status = "active" };
                case 2:
                    await released.Task.WaitAsync(ct);  // the busy QEMU: answers only after the client gave up and asked again
                    return new { status = "active" };
                default:
                    return new { status = "device" };
            }
        });
        await using var client = await TestSupport.ConnectAsync(server);
        await using var migration = await QmpMigration.StartAsync(client, "unix:/tmp/m.sock", new QmpMigrationOptions
        {
            ProgressInterval = TimeSpan.FromMilliseconds(10), ProgressQueryTimeout = TimeSpan.FromSeconds(1),
        }).Bounded();

        var items = new List<QmpMigrationStatus>();
        var watching = Task.Run(async () =>
        {
            await foreach (var p in migration.WatchAsync())
            {
                items.Add(p.Status);
                if (p.Status == QmpMigrationStatus.Device)
                {
                    deviceSeen.TrySetResult();
                }
            }
        });
        await server.WaitForCommandAsync(c => c.Name == "query-migrate" && server.Commands.Count(x => x.Name == "query-migrate") >= 3).Bounded();
        released.TrySetResult();
        await deviceSeen.Task.Bounded();
        await server.EmitEventAsync("MIGRATION", new { status = "completed" });
        await watching.Bounded();
        var status = await migration.Completion.Bounded();
        return (status, items.Take(2).ToArray());
    }
}
