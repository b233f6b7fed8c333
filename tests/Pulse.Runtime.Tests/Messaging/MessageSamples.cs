using System.Buffers;
using Pulse.Runtime.Invocation;
using Pulse.Runtime.Messaging;
using Pulse.Runtime.Serialization;

namespace Pulse.Runtime.Tests.Messaging;

/// <summary>Messages, frames and a hand-written request of the shape the generator emits.</summary>
internal static class MessageSamples
{
    public static Message Request() => new()
    {
        Kind = MessageKind.Request,
        Flags = MessageFlags.ReadOnly | MessageFlags.Idempotent,
        CorrelationId = 123_456_789_012,
        Target = GrainId.Create("ratelimiter", "tenant-7/api/😀"),
        InterfaceType = new GrainType("ratelimiter"),
        MethodId = 0xDEADBEEF,
        SendingGrain = GrainId.Create("tenant", "tenant-7"),
        TimeToLiveMilliseconds = 30_000,
        ForwardCount = 2,
        Body = new byte[] { 1, 2, 3, 4, 5 },
    };

    public static Message Response(ResponseStatus status) => new()
    {
        Kind = MessageKind.Response,
        CorrelationId = -1,
        Status = status,
        Body = status == ResponseStatus.Ok ? ResponseBody.SerializeResult("done") : ReadOnlyMemory<byte>.Empty,
    };

    public static byte[] Frame(Message message)
    {
        using PulseWriter writer = new();
        MessageSerializer.Write(writer, message);
        return writer.ToArray();
    }

    /// <summary>A sequence over <paramref name="bytes"/> cut into segments at the given offsets.</summary>
    public static ReadOnlySequence<byte> Split(byte[] bytes, params int[] cuts)
    {
        List<ReadOnlyMemory<byte>> parts = [];
        int start = 0;
        foreach (int cut in cuts)
        {
            parts.Add(bytes.AsMemory(start, cut - start));
            start = cut;
        }

        parts.Add(bytes.AsMemory(start));
        Segment first = new(parts[0]);
        Segment last = first;
        for (int i = 1; i < parts.Count; i++)
        {
            last = last.Append(parts[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    public static void AssertSameHeader(Message expected, Message actual)
    {
        Assert.Equal(expected.Kind, actual.Kind);
        Assert.Equal(expected.Flags, actual.Flags);
        Assert.Equal(expected.CorrelationId, actual.CorrelationId);
        Assert.Equal(expected.Target, actual.Target);
        Assert.Equal(expected.InterfaceType, actual.InterfaceType);
        Assert.Equal(expected.MethodId, actual.MethodId);
        Assert.Equal(expected.SendingGrain, actual.SendingGrain);
        Assert.Equal(expected.TimeToLiveMilliseconds, actual.TimeToLiveMilliseconds);
        Assert.Equal(expected.ForwardCount, actual.ForwardCount);
        Assert.Equal(expected.Status, actual.Status);
        Assert.Equal(expected.Body.ToArray(), actual.Body.ToArray());
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            Segment next = new(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}

/// <summary>A request for <c>Task&lt;string&gt; Echo(string text, List&lt;int&gt; numbers)</c>, written as the generator would.</summary>
internal sealed class EchoRequest : GrainRequest<string>
{
    public static readonly GrainMethodDescriptor Descriptor = new(
        new GrainType("echo"), typeof(IDisposable), "Echo", 42, InvokeMethodOptions.Idempotent);

    public string Text { get; set; } = string.Empty;

    public List<int> Numbers { get; set; } = [];

    public override GrainMethodDescriptor Method => Descriptor;

    public override void WriteArguments(PulseWriter writer)
    {
        Codec<string>.Instance.WriteField(writer, 0, Text);
        Codec<List<int>>.Instance.WriteField(writer, 1, Numbers);
    }

    public override void ReadArguments(PulseReader reader)
    {
        while (!reader.IsAtEnd)
        {
            reader.ReadTag(out uint id, out WireType wireType);
            switch (id)
            {
                case 0:
                    Text = Codec<string>.Instance.ReadValue(reader, wireType);
                    break;
                case 1:
                    Numbers = Codec<List<int>>.Instance.ReadValue(reader, wireType);
                    break;
                default:
                    reader.SkipField(wireType);
                    break;
            }
        }
    }

    public override void CopyArguments() => Numbers = Copier<List<int>>.Copy(Numbers);

    protected override ValueTask<string> InvokeCoreAsync(object grain) => new(Text);
}
