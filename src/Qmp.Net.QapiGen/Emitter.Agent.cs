namespace Qmp.Net.QapiGen;

/// <summary>The guest agent's command methods: the same arguments and results as QMP's, run on a <c>QgaClient</c>
/// (no schema check: the agent has no introspection), and <c>success-response: false</c> commands fired without
/// waiting for a reply.</summary>
internal sealed partial class Emitter
{
    private void EmitAgentCommand(CodeWriter w, SuperType c)
    {
        var method = _commandNames[c.Name];
        var args = c.Arguments;
        var allOptional = args is not null && args.Kind == DefKind.Struct && args.Members.All(m => IsNullable(args, m));
        var fire = c.PerVersion.Values.Any(d => !d.SuccessResponse);
        var resultType = c.Returns is null || fire ? null : CsType(c.Returns, false);
        w.Summary(Join(
            $"Runs the guest agent command <c>{c.Name}</c>.",
            FactsText(c.PerVersion, null),
            fire ? "The agent sends no reply when it succeeds (<c>success-response: false</c>): the task completes once the command was written, and an error the agent sends for it is discarded by the next command's resynchronisation." : ""));
        if (args is not null)
        {
            w.Line($"/// <param name=\"arguments\">The arguments (QAPI <c>{CodeWriter.Xml(args.IsSynthetic ? "implicit" : args.Name.Split('@')[0])}</c>){(allOptional ? "; every member is optional, so this may be null" : "")}.</param>");
        }

        w.Line("/// <param name=\"cancellationToken\">Cancels the wait.</param>");
        w.Line(fire
            ? "/// <returns>A task that completes when the command was written.</returns>"
            : resultType is null
                ? "/// <returns>A task that completes when the agent has answered.</returns>"
                : $"/// <returns>The result (QAPI <c>{CodeWriter.Xml(QapiTypeText(c.Returns!))}</c>).</returns>");
        if (!fire)
        {
            w.Line("/// <exception cref=\"QmpErrorException\">The agent answered with an error (<c>CommandNotFound</c> when the command is disabled or unknown to it).</exception>");
            w.Line("/// <exception cref=\"QgaTimeoutException\">The agent did not answer in time.</exception>");
        }

        w.Line("/// <exception cref=\"QmpException\">The connection was closed or failed.</exception>");
        w.Line($"/// <seealso href=\"{_profile.ReferenceUrl}#command-{_profile.AnchorPrefix}-{c.Newest.Module}.{c.Name}\">QEMU's guest agent reference</seealso>");
        Attributes(w, c.PerVersion);

        var parameters = new List<string>();
        var generic = new List<string>();
        var callArgs = new List<string> { CodeWriter.Literal(c.Name) };
        if (args is not null)
        {
            var argType = CsType(new TypeRef(args.Name, false), false);
            parameters.Add(allOptional ? $"{argType}? arguments = null" : $"{argType} arguments");
            generic.Add(argType);
            callArgs.Add("arguments");
        }

        parameters.Add("CancellationToken cancellationToken = default");
        callArgs.Add("cancellationToken");
        if (resultType is not null)
        {
            generic.Add(resultType);
        }

        var call = fire ? "FireAsync" : resultType is null ? "ExecuteVoidAsync" : "ExecuteAsync";
        var genericText = generic.Count > 0 ? "<" + string.Join(", ", generic) + ">" : "";
        var returnType = resultType is null ? "Task" : $"Task<{resultType}>";
        w.Line($"public {returnType} {method}({string.Join(", ", parameters)}) =>");
        w.Line($"    {call}{genericText}({string.Join(", ", callArgs)});");
    }
}
