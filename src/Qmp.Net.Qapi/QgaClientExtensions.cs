using Qmp.Net.Qga;

namespace Qmp.Net.Qapi.Qga;

/// <summary>The typed entry point on <see cref="QgaClient"/>.</summary>
public static class QgaClientExtensions
{
    extension(QgaClient client)
    {
        /// <summary>Gets the typed guest agent commands of this client, e.g. <c>agent.Commands.GuestGetHostNameAsync()</c>.</summary>
        public QgaCommands Commands => new(client);
    }
}
