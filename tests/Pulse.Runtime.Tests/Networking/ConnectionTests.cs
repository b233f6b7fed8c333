using System.Buffers.Binary;
using System.Net.Sockets;
using Pulse.Runtime.Configuration;
using Pulse.Runtime.Membership;
using Pulse.Runtime.Messaging;
using Pulse.Runtime.Networking;
using static Pulse.Runtime.Tests.Networking.NetworkTestKit;

namespace Pulse.Runtime.Tests.Networking;

public sealed class ConnectionTests
{
    [Fact]
    public async Task TenThousandRequestsFromFiftyConcurrentSendersArriveIntactAndInPerSenderOrder()
    {
        const int Senders = 50;
        const int PerSender = 200;
        RecordingHandler serverHandler = new();
        (ConnectionListener listener, SiloAddress server) = await StartSiloAsync(serverHandler);
        await using ConnectionListener _ = listener;
        await using ConnectionManager manager = Manager(new RecordingHandler());
        Connection connection = await manager.GetConnectionAsync(server).AsTask().WaitAsync(Bound);

        Task[] senders = new Task[Senders];
        for (int s = 0; s < Senders; s++)
        {
            string sender = "sender-" + s;
            int bodyBytes = 1 + s * 37;
            senders[s] = Task.Run(async () =>
            {
                for (int i = 0; i < PerSender; i++)
                {
                    await connection.SendAsync(Request(sender, i, bodyBytes));
                }
            });
        }

        await Task.WhenAll(senders).WaitAsync(Bound);
        await WaitUntilAsync(() => serverHandler.Received.Count >= Senders * PerSender, "every message arrived");

        Assert.Equal(Senders * PerSender, serverHandler.Received.Count);
        Dictionary<string, long> next = [];
        foreach ((Message message, Connection inbound) in serverHandler.Received)
        {
            Assert.True(HasExpectedBody(message), $"message {message} arrived corrupted");
            Assert.Equal(1 + int.Parse(message.Target.Key["sender-".Length..]) * 37, message.Body.Length);
            long expected = next.GetValueOrDefault(message.Target.Key);
            Assert.Equal(expected, message.CorrelationId);
            next[message.Target.Key] = expected + 1;
            Assert.False(inbound.IsOutbound);
        }

        Assert.Equal(Senders, next.Count);
        Assert.All(next.Values, count => Assert.Equal(PerSender, count));
        Assert.Empty(serverHandler.Closed);
    }

    [Fact]
    public async Task RequestsAreAnsweredOnTheConnectionTheyArrivedOn()
    {
        (ConnectionListener listener, SiloAddress server) = await StartSiloAsync(new RecordingHandler { Echo = true });
        await using ConnectionListener _ = listener;
        RecordingHandler callerHandler = new();
        await using ConnectionManager manager = Manager(callerHandler);
        Connection connection = await manager.GetConnectionAsync(server).AsTask().WaitAsync(Bound);

        await connection.SendAsync(Request("echo", 42, bodyBytes: 100));
        await WaitUntilAsync(() => !callerHandler.Received.IsEmpty, "the response arrived");

        (Message response, Connection via) = Assert.Single(callerHandler.Received);
        Assert.Equal(MessageKind.Response, response.Kind);
        Assert.Equal(42, response.CorrelationId);
        Assert.True(HasExpectedBody(response));
        Assert.Same(connection, via);
    }

    [Fact]
    public async Task OversizedOutgoingMessageIsReportedAndTheConnectionStaysUsable()
    {
        NetworkingOptions options = Options(o => o.MaxFrameBytes = NetworkingOptions.MinMaxFrameBytes);
        RecordingHandler serverHandler = new();
        (ConnectionListener listener, SiloAddress server) = await StartSiloAsync(serverHandler, options);
        await using ConnectionListener _ = listener;
        RecordingHandler callerHandler = new();
        await using ConnectionManager manager = Manager(callerHandler, options: options);
        Connection connection = await manager.GetConnectionAsync(server).AsTask().WaitAsync(Bound);

        await connection.SendAsync(Request("big", 1, bodyBytes: NetworkingOptions.MinMaxFrameBytes + 1));
        await connection.SendAsync(Request("small", 2));
        await WaitUntilAsync(() => !serverHandler.Received.IsEmpty, "the small message arrived");

        Assert.Equal(1, Assert.Single(callerHandler.SendFailures).CorrelationId);
        Assert.IsType<MessageFormatException>(Assert.Single(callerHandler.SendFailureErrors));
        Assert.Equal(2, Assert.Single(serverHandler.Received).Message.CorrelationId);
        Assert.True(connection.IsOpen);
    }

    [Fact]
    public async Task GarbageAfterAValidHandshakeClosesOnlyThatConnection()
    {
        await AssertBadBytesCloseOnlyThatConnectionAsync(async socket =>
            await socket.SendAsync(new byte[] { 40, 0, 0, 0, 0xEE, 0xFF, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38 }));
    }

    [Fact]
    public async Task OversizedFrameClosesOnlyThatConnectionBeforeItsBodyArrives()
    {
        await AssertBadBytesCloseOnlyThatConnectionAsync(async socket =>
        {
            // Only the length prefix and one byte are sent: the listener must reject the frame from
            // its declared length, not after buffering it.
            byte[] prefix = new byte[5];
            BinaryPrimitives.WriteUInt32LittleEndian(prefix, 64 * 1024 * 1024);
            prefix[4] = MessageSerializer.ProtocolVersion;
            await socket.SendAsync(prefix);
        });
    }

    [Fact]
    public async Task TruncatedFrameClosesOnlyThatConnection()
    {
        await AssertBadBytesCloseOnlyThatConnectionAsync(async socket =>
        {
            byte[] frame = Messaging.MessageSamples.Frame(Request("cut", 1, bodyBytes: 200));
            await socket.SendAsync(frame.AsMemory(0, frame.Length / 2));
            socket.Shutdown(SocketShutdown.Send);
        });
    }

    [Fact]
    public async Task SendAsyncWaitsWhenTheQueueIsFullAndCompletesOnceTheReceiverReadsAgain()
    {
        const int Capacity = 4;
        NetworkingOptions options = Options(o => o.SendQueueCapacity = Capacity);
        RecordingHandler senderHandler = new();
        await using StalledPeer peer = await StalledPeer.StartAsync(senderHandler, options);

        (Task pending, int accepted) = await FillUntilSendWaitsAsync(peer.Sender);

        // The queue holds at most its capacity while the sender waits: memory does not grow.
        Assert.False(pending.IsCompleted);
        Assert.True(peer.Sender.SendQueueLength <= Capacity);
        Assert.True(peer.Sender.IsOpen);

        List<Message> read = await ReadMessagesAsync(peer.Receiver.Input, accepted + 1);
        await pending.WaitAsync(Bound);

        for (int i = 0; i < read.Count; i++)
        {
            Assert.Equal(i, read[i].CorrelationId);
            Assert.True(HasExpectedBody(read[i]));
        }

        Assert.Empty(senderHandler.SendFailures);
    }

    [Fact]
    public async Task ClosingAConnectionFailsPendingSendsAndReportsQueuedMessages()
    {
        RecordingHandler senderHandler = new();
        await using StalledPeer peer = await StalledPeer.StartAsync(senderHandler, Options(o => o.SendQueueCapacity = 4));
        (Task pending, int accepted) = await FillUntilSendWaitsAsync(peer.Sender);

        peer.Sender.Close(new InvalidOperationException("test closes it"));

        await Assert.ThrowsAsync<ConnectionClosedException>(() => pending.WaitAsync(Bound));
        await peer.Sender.Completion.WaitAsync(Bound);
        Assert.False(peer.Sender.IsOpen);
        await Assert.ThrowsAsync<ConnectionClosedException>(() => peer.Sender.SendAsync(Request("late", 0)).AsTask());

        // Queued messages are reported (in queue order), then the close; the refused one is not reported.
        Assert.NotEmpty(senderHandler.SendFailures);
        long[] failed = senderHandler.SendFailures.Select(message => message.CorrelationId).ToArray();
        Assert.Equal(failed.Order(), failed);
        Assert.All(failed, id => Assert.InRange(id, 0, accepted - 1));
        Assert.Equal(accepted - 1, failed[^1]);
        Assert.All(senderHandler.SendFailureErrors, error => Assert.IsType<ConnectionClosedException>(error));

        // The last accepted message was still queued: certainly not sent, so safe to retry.
        Assert.False(((ConnectionClosedException)senderHandler.SendFailureErrors.Last()).MayHaveBeenSent);
        Assert.Equal("closed", senderHandler.Events.Last());
        (Connection closed, Exception? error) = Assert.Single(senderHandler.Closed);
        Assert.Same(peer.Sender, closed);
        Assert.IsType<InvalidOperationException>(error);
        peer.Sender.Close();
        Assert.Single(senderHandler.Closed);
    }

    /// <summary>Sends 16 KB messages until one <see cref="Connection.SendAsync"/> has to wait; returns it and how many were accepted before it.</summary>
    private static async Task<(Task Pending, int Accepted)> FillUntilSendWaitsAsync(Connection sender)
    {
        // Kernel buffers are pinned small, so a few hundred KB at most fit before the queue fills.
        const int Limit = 2_000;
        int accepted = 0;
        while (accepted < Limit)
        {
            ValueTask send = sender.SendAsync(Request("bulk", accepted, bodyBytes: 16 * 1024));
            if (!send.IsCompleted)
            {
                // A send that waits while the write loop is still moving bytes soon completes; only
                // one that stays waiting shows the whole path (queue, pipe, socket) is full.
                Task pending = send.AsTask();
                if (await Task.WhenAny(pending, Task.Delay(200)) != pending)
                {
                    return (pending, accepted);
                }

                await pending;
            }
            else
            {
                await send;
            }

            accepted++;
        }

        Assert.Fail($"{Limit} messages of 16 KB were accepted without waiting: the send queue is not bounded.");
        return default;
    }

    private static async Task AssertBadBytesCloseOnlyThatConnectionAsync(Func<Socket, Task> sendBadBytes)
    {
        RecordingHandler serverHandler = new();
        (ConnectionListener listener, SiloAddress server) = await StartSiloAsync(serverHandler, Options(o => o.MaxFrameBytes = NetworkingOptions.MinMaxFrameBytes));
        await using ConnectionListener _ = listener;
        await using ConnectionManager good = Manager(new RecordingHandler());
        Connection goodConnection = await good.GetConnectionAsync(server).AsTask().WaitAsync(Bound);
        (SocketTransport bad, ConnectionPreamble _) = await RawConnectAsync(server.Endpoint, SiloPreamble());
        using SocketTransport __ = bad;
        await WaitUntilAsync(() => listener.Connections.Count == 2, "both connections are registered");

        await sendBadBytes(bad.Socket);
        await serverHandler.FirstClose.WaitAsync(Bound);

        (Connection closed, Exception? error) = Assert.Single(serverHandler.Closed);
        Assert.IsType<MessageFormatException>(error);
        Assert.NotEqual(goodConnection.LocalPreamble.SiloAddress, closed.RemotePreamble.SiloAddress);
        await goodConnection.SendAsync(Request("still-works", 5));
        await WaitUntilAsync(() => !serverHandler.Received.IsEmpty, "the good connection still delivers");
        Assert.Equal(5, Assert.Single(serverHandler.Received).Message.CorrelationId);
        Assert.True(goodConnection.IsOpen);
        await WaitUntilAsync(() => listener.Connections.Count == 1, "the bad connection is unregistered");
    }

    /// <summary>
    /// A <see cref="Connection"/> (the sender, with small kernel buffers) to a raw peer that completed
    /// the handshake and then does not read until the test reads from <see cref="Receiver"/>.
    /// </summary>
    private sealed class StalledPeer : IAsyncDisposable
    {
        private readonly Socket _listenSocket;

        private StalledPeer(Socket listenSocket, Connection sender, SocketTransport receiver)
        {
            _listenSocket = listenSocket;
            Sender = sender;
            Receiver = receiver;
        }

        public Connection Sender { get; }

        public SocketTransport Receiver { get; }

        public static async Task<StalledPeer> StartAsync(IMessageHandler senderHandler, NetworkingOptions options)
        {
            Socket listenSocket = RawListen(receiveBufferBytes: 4096);
            var endpoint = (System.Net.IPEndPoint)listenSocket.LocalEndPoint!;
            ConnectionPreamble receiverPreamble = ConnectionPreamble.ForSilo(ClusterId, new SiloAddress(endpoint, NextGeneration()), "stalled");
            ConnectionPreamble senderPreamble = SiloPreamble();
            Task<(SocketTransport Transport, ConnectionPreamble Remote)> accepting = RawAcceptAsync(listenSocket, receiverPreamble);
            (SocketTransport senderTransport, ConnectionPreamble remote) = await RawConnectAsync(endpoint, senderPreamble, sendBufferBytes: 4096);
            (SocketTransport receiver, ConnectionPreamble _) = await accepting;
            Connection sender = new(senderTransport, senderPreamble, remote, isOutbound: true, senderHandler, options, NoNetworkFaults.Instance, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
            sender.Start();
            return new StalledPeer(listenSocket, sender, receiver);
        }

        public async ValueTask DisposeAsync()
        {
            await Sender.DisposeAsync();
            Receiver.Dispose();
            _listenSocket.Dispose();
        }
    }
}
