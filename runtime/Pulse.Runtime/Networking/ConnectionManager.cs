using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Membership;
using Pulse.Runtime.Messaging;

namespace Pulse.Runtime.Networking;

/// <summary>
/// Outbound connections of one node: one shared connection per target silo, opened on first use.
/// Concurrent callers share one connect attempt; after a failed attempt the target is in back-off
/// (doubling from <see cref="NetworkingOptions.ReconnectBackoffMin"/> to
/// <see cref="NetworkingOptions.ReconnectBackoffMax"/>) and calls fail fast until it passes.
/// </summary>
public sealed class ConnectionManager : IAsyncDisposable
{
    private readonly ConnectionPreamble _localPreamble;
    private readonly IMessageHandler _handler;
    private readonly NetworkingOptions _options;
    private readonly INetworkFaults _faults;
    private readonly TimeProvider _timeProvider;
    private readonly Func<SiloAddress, IPEndPoint> _resolveEndpoint;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<SiloAddress, Target> _targets = new();
    private readonly CancellationTokenSource _disposing = new();

    /// <summary>Creates a manager; it connects nowhere until asked.</summary>
    /// <param name="localPreamble">What this node sends in every handshake.</param>
    /// <param name="handler">Receives the messages (responses) and closes of every outbound connection.</param>
    /// <param name="options">Limits, timeouts and back-off (validated by the host).</param>
    /// <param name="loggerFactory">Logging; none when null.</param>
    /// <param name="faults">Fault injection; none when null.</param>
    /// <param name="timeProvider">Clock for timeouts and back-off; the system clock when null.</param>
    /// <param name="resolveEndpoint">
    /// Where to connect for a target. Default: the silo endpoint advertised in the address. A client
    /// passes one that returns the address's IP with the silo's client port from its membership entry.
    /// </param>
    public ConnectionManager(
        ConnectionPreamble localPreamble,
        IMessageHandler handler,
        NetworkingOptions options,
        ILoggerFactory? loggerFactory = null,
        INetworkFaults? faults = null,
        TimeProvider? timeProvider = null,
        Func<SiloAddress, IPEndPoint>? resolveEndpoint = null)
    {
        ArgumentNullException.ThrowIfNull(localPreamble);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(options);
        _localPreamble = localPreamble;
        _handler = handler;
        _options = options;
        _faults = faults ?? NoNetworkFaults.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _resolveEndpoint = resolveEndpoint ?? (static silo => silo.Endpoint);
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<ConnectionManager>();
    }

    /// <summary>The open outbound connections.</summary>
    public IReadOnlyList<Connection> Connections
    {
        get
        {
            List<Connection> open = [];
            foreach (Target target in _targets.Values)
            {
                if (target.Current is { IsOpen: true } connection)
                {
                    open.Add(connection);
                }
            }

            return open;
        }
    }

    /// <summary>
    /// Returns the open connection to <paramref name="target"/>, connecting first if there is none.
    /// Completes synchronously, without allocating, when the connection is open.
    /// </summary>
    /// <exception cref="ConnectionFailedException">
    /// The connect or handshake failed or timed out, or a recent attempt failed and the target is in
    /// back-off (<see cref="ConnectionFailedException.InBackoff"/>).
    /// </exception>
    /// <exception cref="SiloGenerationMismatchException">Another incarnation of the silo answered: the target restarted.</exception>
    /// <exception cref="ConnectionRejectedException">The silo refused this node (cluster id, protocol version).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired; a shared attempt carries on for other callers.</exception>
    public ValueTask<Connection> GetConnectionAsync(SiloAddress target, CancellationToken cancellationToken = default)
    {
        if (target.IsDefault)
        {
            throw new ArgumentException("The target silo address is not set.", nameof(target));
        }

        if (_targets.TryGetValue(target, out Target? entry) && entry.Current is { IsOpen: true } connection)
        {
            return new ValueTask<Connection>(connection);
        }

        return GetSlowAsync(target, cancellationToken);
    }

    /// <summary>Returns the open connection to <paramref name="target"/> without connecting.</summary>
    public bool TryGetConnection(SiloAddress target, [NotNullWhen(true)] out Connection? connection)
    {
        if (_targets.TryGetValue(target, out Target? entry) && entry.Current is { IsOpen: true } open)
        {
            connection = open;
            return true;
        }

        connection = null;
        return false;
    }

    /// <summary>
    /// Closes the connection to <paramref name="target"/> and forgets its back-off (membership declared
    /// it dead). A connect in progress is closed when it completes. Messages still queued are reported
    /// through <see cref="IMessageHandler.OnSendFailed"/>.
    /// </summary>
    public void Abort(SiloAddress target)
    {
        if (!_targets.TryRemove(target, out Target? entry))
        {
            return;
        }

        Connection? connection;
        lock (entry.Lock)
        {
            entry.Aborted = true;
            connection = entry.Current;
            entry.Current = null;
        }

        if (connection is not null)
        {
            NetworkingLog.Aborting(_logger, 1, target, "declared dead");
            connection.Close(new ConnectionClosedException($"The connection to silo {target} was aborted."));
        }
    }

    /// <summary>Closes every connection, abandons connects in progress, and waits until all are closed.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposing.IsCancellationRequested)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        List<Task> waits = [];
        foreach (SiloAddress address in _targets.Keys)
        {
            if (_targets.TryRemove(address, out Target? entry))
            {
                Connection? connection;
                Task? pending;
                lock (entry.Lock)
                {
                    entry.Aborted = true;
                    connection = entry.Current;
                    pending = entry.Pending;
                }

                if (connection is not null)
                {
                    connection.Close();
                    waits.Add(connection.Completion);
                }

                if (pending is not null)
                {
                    waits.Add(pending.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default));
                }
            }
        }

        await Task.WhenAll(waits).ConfigureAwait(false);
    }

    private async ValueTask<Connection> GetSlowAsync(SiloAddress address, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposing.IsCancellationRequested, this);
        Target entry = _targets.GetOrAdd(address, static _ => new Target());
        Task<Connection> pending;
        lock (entry.Lock)
        {
            if (entry.Current is { IsOpen: true } open)
            {
                return open;
            }

            if (entry.Pending is null)
            {
                if (entry.Failures > 0)
                {
                    TimeSpan waited = _timeProvider.GetElapsedTime(entry.FailedAt);
                    if (waited < entry.Backoff)
                    {
                        throw new ConnectionFailedException(
                            address,
                            $"Connecting to silo {address} failed {waited.TotalMilliseconds:F0} ms ago; the next attempt is allowed in {(entry.Backoff - waited).TotalMilliseconds:F0} ms.",
                            entry.LastError,
                            inBackoff: true);
                    }
                }

                // Run on the thread pool: the attempt must not continue inline under this lock.
                entry.Pending = Task.Run(() => ConnectAsync(address, entry));
            }

            pending = entry.Pending;
        }

        return await pending.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<Connection> ConnectAsync(SiloAddress address, Target entry)
    {
        Connection? connection = null;
        Exception? error = null;
        try
        {
            connection = await ConnectCoreAsync(address).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            error = ex;
        }

        lock (entry.Lock)
        {
            entry.Pending = null;
            if (connection is not null && !entry.Aborted)
            {
                entry.Current = connection;
                entry.Failures = 0;
                entry.LastError = null;
                return connection;
            }

            if (connection is null)
            {
                entry.Failures++;
                entry.FailedAt = _timeProvider.GetTimestamp();
                entry.LastError = error;
                entry.Backoff = ComputeBackoff(entry.Failures);
                NetworkingLog.ConnectFailed(_logger, address, (long)entry.Backoff.TotalMilliseconds, error!);
            }
        }

        if (connection is not null)
        {
            // Aborted or disposed while connecting: nobody may use this connection.
            connection.Close();
            throw new ConnectionFailedException(address, $"The connection to silo {address} was aborted while it was being made.");
        }

        throw error!;
    }

    private TimeSpan ComputeBackoff(int failures)
    {
        TimeSpan min = _options.ReconnectBackoffMin;
        TimeSpan max = _options.ReconnectBackoffMax;
        double factor = Math.Pow(2, Math.Min(failures - 1, 30));
        double ticks = Math.Min(max.Ticks, min.Ticks * factor);
        return TimeSpan.FromTicks((long)ticks);
    }

    private async Task<Connection> ConnectCoreAsync(SiloAddress address)
    {
        IPEndPoint endpoint = _resolveEndpoint(address);
        using CancellationTokenSource timeout = new(_options.ConnectTimeout, _timeProvider);
        using CancellationTokenRegistration onDispose = _disposing.Token.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), timeout);
        if (_faults.IsBlocked(_localPreamble.SiloOrNull, address))
        {
            // A partition looks like a dead network: the connect hangs until it times out.
            await Task.Delay(Timeout.InfiniteTimeSpan, _timeProvider, timeout.Token).ContinueWith(
                static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
            throw TimedOut(address, endpoint, "connect", _options.ConnectTimeout);
        }

        Socket socket = new(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endpoint, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            socket.Dispose();
            throw TimedOut(address, endpoint, "connect", _options.ConnectTimeout);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new ConnectionFailedException(address, $"Connecting to silo {address} at {endpoint} failed: {ex.SocketErrorCode}.", ex);
        }

        SocketTransport transport = new(socket);
        ConnectionPreamble remote;
        try
        {
            using CancellationTokenSource handshakeTimeout = new(_options.HandshakeTimeout, _timeProvider);
            using CancellationTokenRegistration onDisposeHandshake = _disposing.Token.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), handshakeTimeout);
            remote = await ConnectionHandshake.ConnectAsync(transport.Input, transport.Output, _localPreamble, handshakeTimeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            transport.Dispose();
            throw TimedOut(address, endpoint, "handshake", _options.HandshakeTimeout);
        }
        catch (Exception ex) when (ex is IOException or SocketException or MessageFormatException or ObjectDisposedException)
        {
            transport.Dispose();
            throw new ConnectionFailedException(address, $"The handshake with silo {address} at {endpoint} failed: {ex.Message}", ex);
        }
        catch
        {
            transport.Dispose();
            throw;
        }

        if (remote.SiloAddress.Generation != address.Generation)
        {
            transport.Dispose();
            NetworkingLog.StaleGeneration(_logger, address, remote.SiloAddress);
            throw new SiloGenerationMismatchException(address, remote.SiloAddress);
        }

        Connection connection = new(transport, _localPreamble, remote, isOutbound: true, _handler, _options, _faults, _logger);
        connection.Start();
        NetworkingLog.ConnectionEstablished(_logger, connection.Id, address);
        return connection;
    }

    private ConnectionFailedException TimedOut(SiloAddress address, IPEndPoint endpoint, string what, TimeSpan limit) =>
        _disposing.IsCancellationRequested
            ? new ConnectionFailedException(address, "The connection manager is shutting down.")
            : new ConnectionFailedException(address, $"The {what} to silo {address} at {endpoint} timed out after {limit.TotalMilliseconds:F0} ms.", new TimeoutException());

    /// <summary>The state kept per target silo; guarded by <see cref="Lock"/> except the read of <see cref="Current"/>.</summary>
    private sealed class Target
    {
        public readonly Lock Lock = new();
        public volatile Connection? Current;
        public Task<Connection>? Pending;
        public int Failures;
        public long FailedAt;
        public TimeSpan Backoff;
        public Exception? LastError;
        public bool Aborted;
    }
}
