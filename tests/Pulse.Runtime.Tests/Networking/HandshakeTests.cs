using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Membership;
using Pulse.Runtime.Messaging;
using Pulse.Runtime.Networking;
using static Pulse.Runtime.Tests.Networking.NetworkTestKit;

namespace Pulse.Runtime.Tests.Networking;

public sealed class HandshakeTests
{
    [Fact]
    public async Task HandshakeSucceedsAndBothSidesSeeEachOthersPreamble()
    {
        RecordingHandler serverHandler = new();
        (ConnectionListener listener, SiloAddress server) = await StartSiloAsync(serverHandler);
        await using ConnectionListener _ = listener;
        ConnectionPreamble callerPreamble = SiloPreamble();
        await using ConnectionManager manager = Manager(new RecordingHandler(), callerPreamble);

        Connection outbound = await manager.GetConnectionAsync(server).AsTask().WaitAsync(Bound);

        Assert.True(outbound.IsOpen);
        Assert.True(outbound.IsOutbound);
        Assert.Equal(ConnectionRole.Silo, outbound.RemotePreamble.Role);
        Assert.Equal(server, outbound.RemotePreamble.SiloAddress);
        Assert.Equal(ClusterId, outbound.RemotePreamble.ClusterId);
        Assert.Equal(MessageSerializer.ProtocolVersion, outbound.RemotePreamble.ProtocolVersion);
        Assert.Equal("silo-" + server.Endpoint.Port, outbound.RemotePreamble.NodeName);
        await WaitUntilAsync(() => listener.Connections.Count == 1, "the listener registered the connection");
        Connection inbound = Assert.Single(listener.Connections);
        Assert.False(inbound.IsOutbound);
        Assert.Equal(callerPreamble.SiloAddress, inbound.RemotePreamble.SiloAddress);
        Assert.Equal("caller", inbound.RemotePreamble.NodeName);
        Assert.True(listener.TryGetConnection(callerPreamble.SiloAddress, out Connection? found));
        Assert.Same(inbound, found);
    }

    [Fact]
    public async Task ClientHandshakeOnTheClientPortCarriesTheClientId()
    {
        NetworkingOptions options = Options();
        RecordingHandler serverHandler = new();
        (ConnectionListener siloListener, SiloAddress server) = await StartSiloAsync(serverHandler, options);
        await using ConnectionListener _ = siloListener;
        await using ConnectionListener clientListener = new(options, ConnectionRole.Client, serverHandler);
        IPEndPoint clientEndpoint = await clientListener.StartAsync(siloListener.LocalPreamble!);
        await using ConnectionManager client = new(
            ConnectionPreamble.ForClient(ClusterId, "gateway-1", "gw"), new RecordingHandler(), options, resolveEndpoint: _ => clientEndpoint);

        Connection connection = await client.GetConnectionAsync(server).AsTask().WaitAsync(Bound);

        Assert.Equal(server, connection.RemotePreamble.SiloAddress);
        await WaitUntilAsync(() => clientListener.Connections.Count == 1, "the client listener registered the connection");
        ConnectionPreamble remote = Assert.Single(clientListener.Connections).RemotePreamble;
        Assert.Equal(ConnectionRole.Client, remote.Role);
        Assert.Equal("gateway-1", remote.ClientId);
        Assert.True(remote.SiloAddress.IsDefault);
    }

    [Fact]
    public async Task WrongClusterIdIsRejectedWithTheReasonAndTheListenerKeepsServing()
    {
        (ConnectionListener listener, SiloAddress server) = await StartSiloAsync(new RecordingHandler());
        await using ConnectionListener _ = listener;
        await using ConnectionManager stranger = Manager(new RecordingHandler(), SiloPreamble(clusterId: "other-cluster"));

        ConnectionRejectedException rejected = await Assert.ThrowsAsync<ConnectionRejectedException>(() => stranger.GetConnectionAsync(server).AsTask().WaitAsync(Bound));

        Assert.Contains("cluster id 'other-cluster'", rejected.Reason);
        await AssertListenerServesAGoodPeerAsync(server);
    }

    [Fact]
    public async Task WrongProtocolVersionIsRejectedWithTheReasonAndTheListenerKeepsServing()
    {
        (ConnectionListener listener, SiloAddress server) = await StartSiloAsync(new RecordingHandler());
        await using ConnectionListener _ = listener;
        await using ConnectionManager future = Manager(new RecordingHandler(), SiloPreamble().WithProtocolVersion(99));

        ConnectionRejectedException rejected = await Assert.ThrowsAsync<ConnectionRejectedException>(() => future.GetConnectionAsync(server).AsTask().WaitAsync(Bound));

        Assert.Contains("protocol version 99 is not supported", rejected.Reason);
        await AssertListenerServesAGoodPeerAsync(server);
    }

    [Fact]
    public async Task ClientOnTheSiloOnlyPortIsRejectedWithTheReasonAndTheListenerKeepsServing()
    {
        (ConnectionListener listener, SiloAddress server) = await StartSiloAsync(new RecordingHandler());
        await using ConnectionListener _ = listener;
        await using ConnectionManager client = Manager(new RecordingHandler(), ConnectionPreamble.ForClient(ClusterId, "gateway-1", "gw"));

        ConnectionRejectedException rejected = await Assert.ThrowsAsync<ConnectionRejectedException>(() => client.GetConnectionAsync(server).AsTask().WaitAsync(Bound));

        Assert.Contains("accepts only silos", rejected.Reason);
        await AssertListenerServesAGoodPeerAsync(server);
    }

    [Fact]
    public async Task PeerThatIsNotPulseGetsARejectionAndTheListenerKeepsServing()
    {
        (ConnectionListener listener, SiloAddress server) = await StartSiloAsync(new RecordingHandler());
        await using ConnectionListener _ = listener;
        using Socket socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.Endpoint).WaitAsync(Bound);
        await socket.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());

        string? reason = await ReadRejectionAsync(socket);

        Assert.NotNull(reason);
        Assert.Contains("malformed preamble", reason);
        await AssertListenerServesAGoodPeerAsync(server);
    }

    [Fact]
    public async Task ConnectingSideGivesUpWhenThePeerNeverAnswersTheHandshake()
    {
        using Socket silent = RawListen();
        SiloAddress target = new((IPEndPoint)silent.LocalEndPoint!, NextGeneration());
        await using ConnectionManager manager = Manager(new RecordingHandler(), options: Options(o => o.HandshakeTimeout = TimeSpan.FromMilliseconds(300)));

        ConnectionFailedException failed = await Assert.ThrowsAsync<ConnectionFailedException>(() => manager.GetConnectionAsync(target).AsTask().WaitAsync(Bound));

        Assert.IsType<TimeoutException>(failed.InnerException);
        Assert.Contains("handshake", failed.Message);
    }

    [Fact]
    public async Task AcceptingSideDropsAPeerThatNeverSendsItsPreamble()
    {
        (ConnectionListener listener, SiloAddress server) = await StartSiloAsync(new RecordingHandler(), Options(o => o.HandshakeTimeout = TimeSpan.FromMilliseconds(300)));
        await using ConnectionListener _ = listener;
        using Socket socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.Endpoint).WaitAsync(Bound);

        int read = await socket.ReceiveAsync(new byte[64].AsMemory()).AsTask().WaitAsync(Bound);

        Assert.Equal(0, read);
        Assert.Empty(listener.Connections);
        await AssertListenerServesAGoodPeerAsync(server);
    }

    [Fact]
    public void PreambleRoundTripsForSilosAndClients()
    {
        ConnectionPreamble silo = ConnectionPreamble.ForSilo("c", new SiloAddress(new IPEndPoint(IPAddress.Parse("10.1.2.3"), 11111), 638_000_000_000_000_000), "pod-7 ✓");
        ConnectionPreamble client = ConnectionPreamble.ForClient("c", "gateway-é", "gw");

        ConnectionPreamble silo2 = RoundTrip(silo);
        ConnectionPreamble client2 = RoundTrip(client);

        Assert.Equal(silo.SiloAddress, silo2.SiloAddress);
        Assert.Equal(silo.NodeName, silo2.NodeName);
        Assert.Equal(ConnectionRole.Silo, silo2.Role);
        Assert.Null(silo2.ClientId);
        Assert.Equal("gateway-é", client2.ClientId);
        Assert.Equal(ConnectionRole.Client, client2.Role);
        Assert.True(client2.SiloAddress.IsDefault);
    }

    [Fact]
    public void PreambleParsingIsStrict()
    {
        byte[] valid = Encode(SiloPreamble());

        // Incomplete input waits for more; a trailing byte inside the frame, a bad magic and an
        // oversized length are errors.
        ReadOnlySequence<byte> partial = new(valid.AsMemory(0, valid.Length - 1));
        Assert.False(PreambleCodec.TryRead(ref partial, out _, out _));

        byte[] trailing = [.. valid, 0];
        trailing[0]++;
        Assert.Throws<MessageFormatException>(() => Decode(trailing));

        byte[] badMagic = (byte[])valid.Clone();
        badMagic[4] = (byte)'X';
        Assert.Throws<MessageFormatException>(() => Decode(badMagic));

        byte[] huge = [0, 0, 1, 0, .. valid.AsSpan(4)];
        Assert.Throws<MessageFormatException>(() => Decode(huge));
    }

    private static async Task AssertListenerServesAGoodPeerAsync(SiloAddress server)
    {
        await using ConnectionManager good = Manager(new RecordingHandler());
        Connection connection = await good.GetConnectionAsync(server).AsTask().WaitAsync(Bound);
        Assert.True(connection.IsOpen);
        Assert.Equal(server, connection.RemotePreamble.SiloAddress);
    }

    private static async Task<string?> ReadRejectionAsync(Socket socket)
    {
        PipeReader reader = PipeReader.Create(new NetworkStream(socket, ownsSocket: false));
        while (true)
        {
            ReadResult result = await reader.ReadAsync().AsTask().WaitAsync(Bound);
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (PreambleCodec.TryRead(ref buffer, out _, out string? rejection))
            {
                return rejection;
            }

            Assert.False(result.IsCompleted, "The listener closed without sending a rejection.");
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static byte[] Encode(ConnectionPreamble preamble)
    {
        ArrayBufferWriter<byte> output = new();
        PreambleCodec.WriteHello(output, preamble);
        return output.WrittenSpan.ToArray();
    }

    private static ConnectionPreamble? Decode(byte[] bytes)
    {
        ReadOnlySequence<byte> buffer = new(bytes);
        Assert.True(PreambleCodec.TryRead(ref buffer, out ConnectionPreamble? hello, out _));
        Assert.True(buffer.IsEmpty);
        return hello;
    }

    private static ConnectionPreamble RoundTrip(ConnectionPreamble preamble) => Decode(Encode(preamble))!;
}
