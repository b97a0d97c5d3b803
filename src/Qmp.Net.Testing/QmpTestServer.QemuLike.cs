using System.Text.Json;
using System.Text.Json.Nodes;

namespace Qmp.Net.Testing;

public sealed partial class QmpTestServer
{
    private const string Prelaunch = "prelaunch";
    private const string Running = "running";
    private const string Paused = "paused";

    private string? _runState;

    /// <summary>Gets the run state of the <see cref="QmpTestServerProfile.QemuLike"/> profile's imaginary machine, as
    /// <c>query-status</c> reports it: <c>prelaunch</c> at start (QEMU's <c>-S</c>), <c>running</c> after <c>cont</c>,
    /// <c>paused</c> after <c>stop</c>, back to <c>prelaunch</c> after <c>system_reset</c> of a machine that is not running.
    /// It belongs to the server, not to a connection, as a VM outlives its monitor connections.</summary>
    /// <value><see langword="null"/> with any other profile.</value>
    public string? RunState
    {
        get
        {
            lock (_sync)
            {
                return _runState;
            }
        }
    }

    /// <summary>Installs the QemuLike profile's handlers. Each mirrors what QEMU 7.2 answers on <c>-machine none -S</c>
    /// (checked by the integration tests' differential test against a real QEMU).</summary>
    private void InstallQemuLikeProfile()
    {
        _runState = Prelaunch;
        HandleWithoutParameters("query-status", (_, _) =>
        {
            var state = RunState!;
            return Task.FromResult<object?>(new JsonObject
            {
                ["status"] = state,
                ["singlestep"] = false,
                ["running"] = state == Running,
            });
        });

        // stop: a running machine pauses and says STOP; a prelaunch one only forgets to autostart; a paused one stays.
        HandleWithoutParameters("stop", async (_, ct) =>
        {
            if (TryChangeRunState(from: s => s == Running, to: Paused))
            {
                await EmitQuietlyAsync("STOP", null, ct).ConfigureAwait(false);
            }

            return null;
        });

        // cont: RESUME goes out before the reply, and only when the machine was not running already.
        HandleWithoutParameters("cont", async (_, ct) =>
        {
            if (TryChangeRunState(from: s => s != Running, to: Running))
            {
                await EmitQuietlyAsync("RESUME", null, ct).ConfigureAwait(false);
            }

            return null;
        });

        // system_reset: always RESET; a machine that is not running comes back in prelaunch.
        HandleWithoutParameters("system_reset", async (_, ct) =>
        {
            TryChangeRunState(from: s => s != Running, to: Prelaunch);
            await EmitQuietlyAsync("RESET", new JsonObject { ["guest"] = false, ["reason"] = "host-qmp-system-reset" }, ct).ConfigureAwait(false);
            return null;
        });

        // system_powerdown: -machine none has no ACPI, so nothing happens but the POWERDOWN event.
        HandleWithoutParameters("system_powerdown", async (_, ct) =>
        {
            await EmitQuietlyAsync("POWERDOWN", null, ct).ConfigureAwait(false);
            return null;
        });

        // quit: SHUTDOWN, the reply, then the connection closes and nobody else can connect (QEMU has exited).
        HandleWithoutParameters("quit", async (_, ct) =>
        {
            await EmitQuietlyAsync("SHUTDOWN", new JsonObject { ["guest"] = false, ["reason"] = "host-qmp-quit" }, ct).ConfigureAwait(false);
            return new ReplyThenExit(null);
        });

        HandleWithoutParameters("query-version", (_, _) => Task.FromResult<object?>(new JsonObject
        {
            ["qemu"] = new JsonObject
            {
                ["micro"] = Options.Version.Micro,
                ["minor"] = Options.Version.Minor,
                ["major"] = Options.Version.Major,
            },
            ["package"] = Options.Version.Package,
        }));

        // The commands this server answers now: the profile's, the test's own, and qmp_capabilities.
        HandleWithoutParameters("query-commands", (_, _) =>
        {
            var names = _handlers.Keys.Append("qmp_capabilities").Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
            return Task.FromResult<object?>(new JsonArray([.. names.Select(n => (JsonNode)new JsonObject { ["name"] = n })]));
        });

        // A machine started without -name has none: QEMU answers an empty object.
        HandleWithoutParameters("query-name", (_, _) => Task.FromResult<object?>(null));

        Handle("qom-list", (request, _) =>
        {
            var path = RequireString(request.Arguments, "path");
            RejectUnexpected(request.Arguments, "path");
            return path switch
            {
                "/" => Task.FromResult<object?>(new JsonArray(
                    new JsonObject { ["name"] = "type", ["type"] = "string" },
                    new JsonObject { ["name"] = "machine", ["type"] = "child<none-machine>" },
                    new JsonObject { ["name"] = "chardevs", ["type"] = "child<container>" })),
                "" => throw new QmpTestServerError("GenericError", "Path '' is ambiguous"),
                _ => throw new QmpTestServerError("DeviceNotFound", $"Device '{path}' not found"),
            };
        });

        // qmp_capabilities: the server has checked 'enable'; QEMU also refuses any other member.
        Handle("qmp_capabilities", (request, _) =>
        {
            RejectUnexpected(request.Arguments, "enable");
            return Task.FromResult<object?>(null);
        });
    }

    /// <summary>Registers the handler of a command without parameters that, like QEMU's argument visitor, first refuses
    /// any member (commands with parameters register through <see cref="Handle(string, Func{ReceivedCommand, CancellationToken, Task{object}})"/>
    /// and check their own).</summary>
    private void HandleWithoutParameters(string command, Func<ReceivedCommand, CancellationToken, Task<object?>> handler)
    {
        Handle(command, (request, ct) =>
        {
            RejectUnexpected(request.Arguments);
            return handler(request, ct);
        });
    }

    private bool TryChangeRunState(Func<string, bool> from, string to)
    {
        lock (_sync)
        {
            if (_runState is not { } state || !from(state) || state == to)
            {
                return false;
            }

            _runState = to;
            return true;
        }
    }

    /// <summary>Sends an event before the handler's reply; a client that has gone just misses it, as with QEMU.</summary>
    private Task EmitQuietlyAsync(string name, JsonObject? data, CancellationToken cancellationToken) =>
        Volatile.Read(ref _current) is { IsClosed: false } connection
            ? connection.SendQuietlyAsync(BuildEvent(name, data, Options.TimeProvider.GetUtcNow()), cancellationToken)
            : Task.CompletedTask;

    /// <summary>QEMU's "Parameter 'x' is unexpected" for the first member the command does not take.</summary>
    private static void RejectUnexpected(JsonElement arguments, params string[] allowed)
    {
        foreach (var member in arguments.EnumerateObject())
        {
            if (!allowed.Contains(member.Name, StringComparer.Ordinal))
            {
                throw new QmpTestServerError("GenericError", $"Parameter '{member.Name}' is unexpected");
            }
        }
    }

    /// <summary>QEMU's texts for a missing or mistyped string parameter.</summary>
    private static string RequireString(JsonElement arguments, string name)
    {
        if (!arguments.TryGetProperty(name, out var value))
        {
            throw new QmpTestServerError("GenericError", $"Parameter '{name}' is missing");
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new QmpTestServerError("GenericError", $"Invalid parameter type for '{name}', expected: string");
    }

    /// <summary>A handler result that sends <see cref="Value"/> as the reply, then closes the connection and stops
    /// listening, as a QEMU that quits.</summary>
    private sealed record ReplyThenExit(object? Value);
}
