using System.Net;
using System.Net.Sockets;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Membership;
using Pulse.Runtime.Networking;
using Pulse.Runtime.Testing;
using static Pulse.Runtime.Tests.Networking.NetworkTestKit;

namespace Pulse.Runtime.Tests.Networking;

public sealed class ConnectionManagerTests
{
    [Fact]
    public async Task ConcurrentCallersShareOneConnectAttemptAndOneConnection()
    {
        (ConnectionListener listener, SiloAddress server) = await StartSiloAsync(new RecordingHandler());
        await using ConnectionListener _ = listener;
        await using ConnectionManager manager = Manager(new RecordingHandler());

        Task<Connection>[] callers = Enumerable.Range(0, 32).Select(_ => Task.Run(() => manager.GetConnectionAsync(server).AsTask())).ToArray();
        Connection[] connections = await Task.WhenAll(callers).WaitAsync(Bound);
        Connection again = await manager.GetConnectionAsync(server);

        Assert.All(connections, connection => Assert.Same(connections[0], connection));
        Assert.Same(connections[0], again);
        Assert.Single(manager.Connections);
        await WaitUntilAsync(() => listener.Connections.Count >= 1, "the listener registered the connection");
        Assert.Single(listener.Connections);
    }

    [Fact]
    public async Task ReconnectsAfterTheRemoteRestartsOnTheSameEndpoint()
    {
        long generation = NextGeneration();
        (ConnectionListener first, SiloAddress server) = await StartSiloAsync(new RecordingHandler(), generation: generation);
        RecordingHandler callerHandler = new();
        await using ConnectionManager manager = Manager(callerHandler);
        Connection before = await manager.GetConnectionAsync(server).AsTask().WaitAsync(Bound);

        await first.StopAsync().AsTask().WaitAsync(Bound);
        await before.Completion.WaitAsync(Bound);
        (ConnectionListener second, SiloAddress restarted) = await StartSiloAsync(
            new RecordingHandler(), Options(o => o.SiloPort = server.Endpoint.Port), generation: generation);
        await using ConnectionListener _ = second;
        Connection after = await manager.GetConnectionAsync(server).AsTask().WaitAsync(Bound);

        Assert.Equal(server, restarted);
        Assert.False(before.IsOpen);
        Assert.True(after.IsOpen);
        Assert.NotSame(before, after);
        (Connection closed, Exception? error) = Assert.Single(callerHandler.Closed);
        Assert.Same(before, closed);
        Assert.Null(error);
    }

    [Fact]
    public async Task RefusedConnectFailsAndThenFailsFastUntilTheBackoffPasses()
    {
        ManualTimeProvider time = new();
        NetworkingOptions options = Options(o =>
        {
            o.ReconnectBackoffMin = TimeSpan.FromSeconds(10);
            o.ReconnectBackoffMax = TimeSpan.FromSeconds(40);
        });
        int port = ReserveFreePort();
        long generation = NextGeneration();
        SiloAddress target = new(new IPEndPoint(IPAddress.Loopback, port), generation);
        await using ConnectionManager manager = Manager(new RecordingHandler(), options: options, time: time);

        ConnectionFailedException refused = await Assert.ThrowsAsync<ConnectionFailedException>(() => manager.GetConnectionAsync(target).AsTask().WaitAsync(Bound));
        Assert.False(refused.InBackoff);
        Assert.Equal(SocketError.ConnectionRefused, Assert.IsType<SocketException>(refused.InnerException).SocketErrorCode);

        // The silo comes up, but within the back-off the manager does not even try.
        (ConnectionListener listener, SiloAddress server) = await StartSiloAsync(new RecordingHandler(), Options(o => o.SiloPort = port), generation: generation);
        await using ConnectionListener _ = listener;
        ConnectionFailedException fast = await Assert.ThrowsAsync<ConnectionFailedException>(() => manager.GetConnectionAsync(target).AsTask());
        Assert.True(fast.InBackoff);
        Assert.Same(refused, fast.InnerException);
        Assert.Empty(listener.Connections);

        time.Advance(TimeSpan.FromSeconds(10));
        Connection connection = await manager.GetConnectionAsync(target).AsTask().WaitAsync(Bound);

        Assert.Equal(server, connection.RemotePreamble.SiloAddress);
    }

    [Fact]
    public async Task BackoffDoublesWithEachFailureUpToTheMaximum()
    {
        ManualTimeProvider time = new();
        NetworkingOptions options = Options(o =>
        {
            o.ReconnectBackoffMin = TimeSpan.FromSeconds(1);
            o.ReconnectBackoffMax = TimeSpan.FromSeconds(3);
        });
        SiloAddress target = new(new IPEndPoint(IPAddress.Loopback, ReserveFreePort()), NextGeneration());
        await using ConnectionManager manager = Manager(new RecordingHandler(), options: options, time: time);

        // Failures at t=0 (back-off 1 s), t=1 (2 s), t=3 (3 s, capped), t=6.
        foreach (int wait in new[] { 1, 2, 3 })
        {
            ConnectionFailedException attempt = await Assert.ThrowsAsync<ConnectionFailedException>(() => manager.GetConnectionAsync(target).AsTask().WaitAsync(Bound));
            Assert.False(attempt.InBackoff);
            time.Advance(TimeSpan.FromSeconds(wait) - TimeSpan.FromMilliseconds(1));
            Assert.True((await Assert.ThrowsAsync<ConnectionFailedException>(() => manager.GetConnectionAsync(target).AsTask())).InBackoff);
            time.Advance(TimeSpan.FromMilliseconds(1));
        }

        Assert.False((await Assert.ThrowsAsync<ConnectionFailedException>(() => manager.GetConnectionAsync(target).AsTask().WaitAsync(Bound))).InBackoff);
    }

    [Fact]
    public async Task StaleGenerationIsRejectedAndTheNewIncarnationIsReachable()
    {
        (ConnectionListener listener, SiloAddress current) = await StartSiloAsync(new RecordingHandler());
        await using ConnectionListener _ = listener;
        SiloAddress stale = new(current.Endpoint, current.Generation - 1);
        await using ConnectionManager manager = Manager(new RecordingHandler());

        SiloGenerationMismatchException mismatch = await Assert.ThrowsAsync<SiloGenerationMismatchException>(() => manager.GetConnectionAsync(stale).AsTask().WaitAsync(Bound));
        Connection fresh = await manager.GetConnectionAsync(current).AsTask().WaitAsync(Bound);

        Assert.Equal(stale, mismatch.Target);
        Assert.Equal(current, mismatch.Actual);
        Assert.False(manager.TryGetConnection(stale, out Connection? staleConnection));
        Assert.Null(staleConnection);
        Assert.True(fresh.IsOpen);
        await WaitUntilAsync(() => listener.Connections.Count == 1, "only the fresh connection stays on the listener");
    }

    [Fact]
    public async Task AbortClosesTheConnectionAndTheNextCallConnectsAgain()
    {
        (ConnectionListener listener, SiloAddress server) = await StartSiloAsync(new RecordingHandler());
        await using ConnectionListener _ = listener;
        RecordingHandler callerHandler = new();
        await using ConnectionManager manager = Manager(callerHandler);
        Connection first = await manager.GetConnectionAsync(server).AsTask().WaitAsync(Bound);

        manager.Abort(server);
        await first.Completion.WaitAsync(Bound);
        Connection second = await manager.GetConnectionAsync(server).AsTask().WaitAsync(Bound);

        Assert.False(first.IsOpen);
        Assert.IsType<ConnectionClosedException>(callerHandler.ErrorOf(first));
        Assert.NotSame(first, second);
        Assert.True(second.IsOpen);
    }

    private static int ReserveFreePort()
    {
        using Socket socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
