using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Membership;

namespace Pulse.Runtime.Networking;

/// <summary>
/// Accepts connections of one role on one port (silos on the silo port, clients on the client port),
/// runs the accepting side of the handshake, and keeps the accepted connections so responses go back
/// on the connection their request came in on.
/// </summary>
public sealed class ConnectionListener : IAsyncDisposable
{
    private readonly NetworkingOptions _options;
    private readonly ConnectionRole _acceptedRole;
    private readonly IMessageHandler _handler;
    private readonly INetworkFaults _faults;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<Connection, byte> _connections = new();
    private readonly ConcurrentDictionary<SocketTransport, byte> _handshaking = new();
    private readonly CancellationTokenSource _stopping = new();
    private Socket? _listenSocket;
    private Task _acceptLoop = Task.CompletedTask;
    private ConnectionPreamble? _localPreamble;
    private int _stopped;

    /// <summary>Creates a listener; nothing is bound until <see cref="StartAsync(Func{IPEndPoint, ConnectionPreamble}, CancellationToken)"/>.</summary>
    /// <param name="options">Listen address, ports, limits and timeouts (validated by the host).</param>
    /// <param name="acceptedRole">
    /// <see cref="ConnectionRole.Silo"/> binds <see cref="NetworkingOptions.SiloPort"/> and accepts silos;
    /// <see cref="ConnectionRole.Client"/> binds <see cref="NetworkingOptions.ClientPort"/> and accepts clients.
    /// </param>
    /// <param name="handler">Receives the messages and closes of every accepted connection.</param>
    /// <param name="loggerFactory">Logging; none when null.</param>
    /// <param name="faults">Fault injection; none when null.</param>
    /// <param name="timeProvider">Clock for the handshake timeout; the system clock when null.</param>
    public ConnectionListener(
        NetworkingOptions options,
        ConnectionRole acceptedRole,
        IMessageHandler handler,
        ILoggerFactory? loggerFactory = null,
        INetworkFaults? faults = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(handler);
        if (!Enum.IsDefined(acceptedRole))
        {
            throw new ArgumentOutOfRangeException(nameof(acceptedRole));
        }

        _options = options;
        _acceptedRole = acceptedRole;
        _handler = handler;
        _faults = faults ?? NoNetworkFaults.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<ConnectionListener>();
    }

    /// <summary>The endpoint actually bound; null before start.</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    /// <summary>The preamble this listener answers with; null before start.</summary>
    public ConnectionPreamble? LocalPreamble => _localPreamble;

    /// <summary>The open accepted connections.</summary>
    public IReadOnlyCollection<Connection> Connections => (IReadOnlyCollection<Connection>)_connections.Keys;

    /// <summary>
    /// Binds the port for the role (0 picks a free port) and starts accepting. The preamble is created
    /// from the bound endpoint before the first connection is accepted: a silo's own address contains
    /// the port, which is only known now when the configured port is 0.
    /// </summary>
    /// <returns>The endpoint actually bound.</returns>
    /// <exception cref="SocketException">The endpoint could not be bound (in use, not a local address).</exception>
    public ValueTask<IPEndPoint> StartAsync(Func<IPEndPoint, ConnectionPreamble> localPreamble, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(localPreamble);
        cancellationToken.ThrowIfCancellationRequested();
        if (_listenSocket is not null || Volatile.Read(ref _stopped) != 0)
        {
            throw new InvalidOperationException("A listener starts once.");
        }

        int port = _acceptedRole == ConnectionRole.Silo ? _options.SiloPort : _options.ClientPort;
        IPEndPoint requested = new(_options.GetListenAddress(), port);
        Socket socket = new(requested.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(requested);
            socket.Listen(512);
            IPEndPoint bound = (IPEndPoint)socket.LocalEndPoint!;
            ConnectionPreamble preamble = localPreamble(bound);
            ArgumentNullException.ThrowIfNull(preamble, nameof(localPreamble));
            _localPreamble = preamble;
            _listenSocket = socket;
            LocalEndPoint = bound;
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        NetworkingLog.ListenerStarted(_logger, _acceptedRole, LocalEndPoint);
        _acceptLoop = AcceptLoopAsync(_listenSocket, _localPreamble);
        return new ValueTask<IPEndPoint>(LocalEndPoint);
    }

    /// <summary>Binds and starts accepting with a preamble known in advance (a client port whose silo address is already known).</summary>
    public ValueTask<IPEndPoint> StartAsync(ConnectionPreamble localPreamble, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(localPreamble);
        return StartAsync(_ => localPreamble, cancellationToken);
    }

    /// <summary>Finds an open connection accepted from <paramref name="silo"/> (exact generation).</summary>
    public bool TryGetConnection(SiloAddress silo, [NotNullWhen(true)] out Connection? connection)
    {
        foreach (Connection candidate in _connections.Keys)
        {
            if (candidate.IsOpen && candidate.RemotePreamble.Role == ConnectionRole.Silo && candidate.RemotePreamble.SiloAddress == silo)
            {
                connection = candidate;
                return true;
            }
        }

        connection = null;
        return false;
    }

    /// <summary>Closes every connection accepted from <paramref name="silo"/> (when membership declares it dead).</summary>
    public void Abort(SiloAddress silo)
    {
        List<Connection> matching = [];
        foreach (Connection candidate in _connections.Keys)
        {
            if (candidate.RemotePreamble.Role == ConnectionRole.Silo && candidate.RemotePreamble.SiloAddress == silo)
            {
                matching.Add(candidate);
            }
        }

        if (matching.Count == 0)
        {
            return;
        }

        NetworkingLog.Aborting(_logger, matching.Count, silo, "aborted");
        ConnectionClosedException reason = new($"Connections from silo {silo} were aborted.");
        foreach (Connection connection in matching)
        {
            connection.Close(reason);
        }
    }

    /// <summary>Stops accepting, closes every accepted connection and waits until they are closed.</summary>
    public async ValueTask StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            await WaitForConnectionsAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _listenSocket?.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        foreach (SocketTransport transport in _handshaking.Keys)
        {
            transport.Abort();
        }

        foreach (Connection connection in _connections.Keys)
        {
            connection.Close();
        }

        await WaitForConnectionsAsync(cancellationToken).ConfigureAwait(false);
        if (LocalEndPoint is not null)
        {
            NetworkingLog.ListenerStopped(_logger, _acceptedRole, LocalEndPoint);
        }
    }

    /// <summary>Same as <see cref="StopAsync"/>.</summary>
    public ValueTask DisposeAsync() => StopAsync();

    private async Task WaitForConnectionsAsync(CancellationToken cancellationToken)
    {
        foreach (Connection connection in _connections.Keys)
        {
            await connection.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task AcceptLoopAsync(Socket listenSocket, ConnectionPreamble localPreamble)
    {
        await Task.Yield();
        while (!_stopping.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await listenSocket.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex)
            {
                // Per-connection failures (reset before accept, out of descriptors) must not stop the listener.
                NetworkingLog.AcceptFailed(_logger, LocalEndPoint!, ex);
                continue;
            }

            _ = HandshakeAsync(accepted, localPreamble);
        }
    }

    private async Task HandshakeAsync(Socket socket, ConnectionPreamble localPreamble)
    {
        SocketTransport transport;
        try
        {
            transport = new SocketTransport(socket);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Reset between accept and here.
            socket.Dispose();
            return;
        }

        _handshaking.TryAdd(transport, 0);
        AcceptResult result = default;
        using CancellationTokenSource timeout = new(_options.HandshakeTimeout, _timeProvider);
        using CancellationTokenRegistration onStop = _stopping.Token.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), timeout);
        try
        {
            result = await ConnectionHandshake.AcceptAsync(
                transport.Input, transport.Output, localPreamble, _acceptedRole, _faults, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            NetworkingLog.HandshakeFailed(_logger, transport.RemoteEndPoint, ex);
        }
        finally
        {
            _handshaking.TryRemove(transport, out _);
        }

        if (result.Outcome == HandshakeOutcome.Rejected)
        {
            NetworkingLog.HandshakeRejected(_logger, transport.RemoteEndPoint, result.Reason!);
        }

        if (result.Outcome == HandshakeOutcome.Blocked)
        {
            // A partitioned peer must see a dead network: no answer, until its handshake times out.
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, _timeProvider, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The timeout or the stop; either way the socket goes now.
            }
        }

        if (result.Outcome != HandshakeOutcome.Accepted || _stopping.IsCancellationRequested)
        {
            transport.Dispose();
            return;
        }

        Connection connection = new(transport, localPreamble, result.Remote!, isOutbound: false, _handler, _options, _faults, _logger);
        _connections.TryAdd(connection, 0);
        NetworkingLog.ConnectionAccepted(_logger, connection.Id, transport.RemoteEndPoint, result.Remote!);
        connection.Start();

        // StopAsync may have swept the connections just before this one was added.
        if (_stopping.IsCancellationRequested)
        {
            connection.Close();
        }

        await connection.Completion.ConfigureAwait(false);
        _connections.TryRemove(connection, out _);
    }
}
