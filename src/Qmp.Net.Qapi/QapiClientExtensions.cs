namespace Qmp.Net.Qapi;

/// <summary>The typed entry point on <see cref="QmpClient"/>.</summary>
public static class QapiClientExtensions
{
    extension(QmpClient client)
    {
        /// <summary>Gets the typed QMP commands of this client, e.g. <c>client.Commands.QueryStatusAsync()</c>.</summary>
        public QapiCommands Commands => new(client);
    }
}
