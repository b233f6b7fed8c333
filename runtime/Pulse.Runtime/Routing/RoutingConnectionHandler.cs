using Pulse.Runtime.Invocation;
using Pulse.Runtime.Membership;
using Pulse.Runtime.Messaging;
using Pulse.Runtime.Networking;

namespace Pulse.Runtime.Routing;

/// <summary>
/// Connects the transport to a router, for silos and clients alike: incoming messages go to the
/// router with a reply channel on their connection, failed sends and closed connections settle the
/// calls they carried, and sends go through the connection manager.
/// </summary>
internal sealed class RoutingConnectionHandler : IMessageHandler, IClusterTransport
{
    private readonly PendingCallTable _pendingCalls;
    private MessageRouter? _router;
    private ConnectionManager? _connections;

    public RoutingConnectionHandler(PendingCallTable pendingCalls) => _pendingCalls = pendingCalls;

    /// <summary>Set once both exist (each needs the other to be constructed).</summary>
    public void Bind(MessageRouter router, ConnectionManager connections)
    {
        _router = router;
        _connections = connections;
    }

    public async ValueTask SendAsync(SiloAddress target, Message message, CancellationToken cancellationToken)
    {
        ConnectionManager connections = _connections ?? throw new SiloUnavailableException("The network is not started.");
        Connection connection = await connections.GetConnectionAsync(target, cancellationToken).ConfigureAwait(false);
        await connection.SendAsync(message, cancellationToken).ConfigureAwait(false);
    }

    public void OnMessage(Message message, Connection connection)
    {
        // One channel per connection: responders keep it until they answer, and a channel holds
        // nothing but its connection, so sharing it costs nothing and saves an object per message.
        var channel = connection.HandlerState as ConnectionReplyChannel;
        if (channel is null)
        {
            channel = new ConnectionReplyChannel(connection);
            connection.HandlerState = channel;
        }

        _router?.OnMessage(message, channel);
    }

    public void OnSendFailed(Message message, Connection connection, Exception error)
    {
        // A response's correlation id is the peer's, not one of this node's calls.
        if (message.Kind != MessageKind.Response && _pendingCalls.TryGet(message.CorrelationId, out IPendingCall pending) && pending is IRemotePendingCall remote)
        {
            remote.OnDeliveryFailed(error, delivered: (error as ConnectionClosedException)?.MayHaveBeenSent ?? false);
        }
    }

    public void OnConnectionClosed(Connection connection, Exception? error)
    {
        if (connection.IsOutbound && connection.RemotePreamble.Role == ConnectionRole.Silo && connection.RemotePreamble.SiloAddress is { } remote)
        {
            _router?.OnSiloUnreachable(remote, error ?? new ConnectionClosedException($"The connection to silo {remote} closed."));
        }
    }

    /// <summary>Drops connections to silos the view says are dead and settles the calls sent to them.</summary>
    public void OnViewChanged(ClusterMembershipView view, SiloAddress localSilo, ConnectionListener? listener)
    {
        foreach (MembershipEntry entry in view.Members.Values)
        {
            if (entry.Status == SiloStatus.Dead && entry.Silo != localSilo)
            {
                _connections?.Abort(entry.Silo);
                listener?.Abort(entry.Silo);
                _router?.OnSiloUnreachable(entry.Silo, new SiloUnavailableException($"Silo {entry.Silo} was declared dead."));
            }
        }
    }

    private sealed class ConnectionReplyChannel(Connection connection) : IReplyChannel
    {
        public void Reply(Message message)
        {
            if (!connection.TrySend(message))
            {
                _ = SendLaterAsync(message);
            }
        }

        private async Task SendLaterAsync(Message message)
        {
            try
            {
                await connection.SendAsync(message).ConfigureAwait(false);
            }
            catch (ConnectionClosedException)
            {
                // The caller's side is gone; its call times out or was already failed there.
            }
        }
    }
}
