using Pulse.Runtime.Membership;
using Pulse.Runtime.Messaging;
using Pulse.Runtime.Networking;
using static Pulse.Runtime.Tests.Networking.NetworkTestKit;

namespace Pulse.Runtime.Tests.Networking;

public sealed class PartitionTests
{
    [Fact]
    public async Task IsolatingASiloDropsTrafficBothWaysAndHealingRestoresIt()
    {
        PartitionableNetworkFaults faults = new();
        RecordingHandler aHandler = new();
        RecordingHandler bHandler = new();
        (ConnectionListener aListener, SiloAddress a) = await StartSiloAsync(aHandler, faults: faults);
        (ConnectionListener bListener, SiloAddress b) = await StartSiloAsync(bHandler, faults: faults);
        await using ConnectionListener _ = aListener;
        await using ConnectionListener __ = bListener;
        await using ConnectionManager aManager = Manager(aHandler, aListener.LocalPreamble, faults: faults);
        await using ConnectionManager bManager = Manager(bHandler, bListener.LocalPreamble, faults: faults);
        Connection aToB = await aManager.GetConnectionAsync(b).AsTask().WaitAsync(Bound);
        Connection bToA = await bManager.GetConnectionAsync(a).AsTask().WaitAsync(Bound);

        faults.Isolate(b);
        await aToB.SendAsync(Request("a", 1));
        await bToA.SendAsync(Request("b", 1));

        // Connects to the isolated silo hang until they time out, like a dead network.
        await using ConnectionManager cManager = Manager(new RecordingHandler(), options: Options(o => o.ConnectTimeout = TimeSpan.FromMilliseconds(300)), faults: faults);
        ConnectionFailedException timedOut = await Assert.ThrowsAsync<ConnectionFailedException>(() => cManager.GetConnectionAsync(b).AsTask().WaitAsync(Bound));
        Assert.IsType<TimeoutException>(timedOut.InnerException);
        Assert.True(aToB.IsOpen);
        Assert.True(bToA.IsOpen);

        faults.Heal(b);
        await aToB.SendAsync(Request("a", 2));
        await bToA.SendAsync(Request("b", 2));
        await WaitUntilAsync(() => HasReceived(bHandler, "a", 2) && HasReceived(aHandler, "b", 2), "traffic after healing arrives");

        // Each connection is ordered, so a message sent during the partition would have arrived before
        // the one sent after healing: it was dropped, not delayed.
        Assert.False(HasReceived(bHandler, "a", 1));
        Assert.False(HasReceived(aHandler, "b", 1));
        Assert.Empty(aHandler.Closed);
        Assert.Empty(bHandler.Closed);
        ConnectionManager healed = Manager(new RecordingHandler(), faults: faults, options: Options(o => o.ReconnectBackoffMin = TimeSpan.FromMilliseconds(1)));
        await using ConnectionManager ___ = healed;
        Assert.True((await healed.GetConnectionAsync(b).AsTask().WaitAsync(Bound)).IsOpen);
    }

    [Fact]
    public async Task IsolatedSiloDoesNotAcceptConnectionsFromOtherProcesses()
    {
        PartitionableNetworkFaults faults = new();
        (ConnectionListener listener, SiloAddress isolated) = await StartSiloAsync(new RecordingHandler(), Options(o => o.HandshakeTimeout = TimeSpan.FromMilliseconds(300)), faults: faults);
        await using ConnectionListener _ = listener;
        faults.Isolate(isolated);

        // The caller does not share the faults (another process): the listener itself stays silent.
        await using ConnectionManager outsider = Manager(new RecordingHandler(), options: Options(o => o.HandshakeTimeout = TimeSpan.FromSeconds(5)));
        ConnectionFailedException failed = await Assert.ThrowsAsync<ConnectionFailedException>(() => outsider.GetConnectionAsync(isolated).AsTask().WaitAsync(Bound));

        Assert.Empty(listener.Connections);
        Assert.IsNotType<ConnectionRejectedException>(failed.InnerException);
    }

    private static bool HasReceived(RecordingHandler handler, string sender, long sequence) =>
        handler.Received.Any(entry => entry.Message.Target.Key == sender && entry.Message.CorrelationId == sequence && entry.Message.Kind == MessageKind.Request);
}
