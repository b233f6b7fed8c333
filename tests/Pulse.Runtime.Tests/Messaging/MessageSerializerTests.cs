using System.Buffers;
using System.Buffers.Binary;
using Pulse.Runtime.Messaging;
using Pulse.Runtime.Serialization;

namespace Pulse.Runtime.Tests.Messaging;

public sealed class MessageSerializerTests
{
    public static TheoryData<MessageKind> Kinds => [MessageKind.Request, MessageKind.Response, MessageKind.OneWay, MessageKind.Cancel, MessageKind.Ping, MessageKind.Pong, MessageKind.MembershipChanged];

    public static TheoryData<ResponseStatus> Statuses =>
        [ResponseStatus.Ok, ResponseStatus.Exception, ResponseStatus.Retry, ResponseStatus.Rejected, ResponseStatus.Timeout, ResponseStatus.Cancelled];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EveryKindRoundTripsWithAllHeaderFields(MessageKind kind)
    {
        Message message = MessageSamples.Request();
        message.Kind = kind;
        ReadOnlySequence<byte> buffer = new(MessageSamples.Frame(message));
        Assert.True(MessageSerializer.TryReadFrame(ref buffer, MessageSerializer.DefaultMaxFrameBytes, out Message? read));
        MessageSamples.AssertSameHeader(message, read);
        Assert.True(buffer.IsEmpty);
    }

    [Theory]
    [MemberData(nameof(Statuses))]
    public void EveryResponseStatusRoundTrips(ResponseStatus status)
    {
        Message message = MessageSamples.Response(status);
        byte[] frame = MessageSamples.Frame(message);
        Assert.True(MessageSerializer.TryReadFrame(frame, MessageSerializer.DefaultMaxFrameBytes, out Message? read, out int consumed));
        Assert.Equal(frame.Length, consumed);
        MessageSamples.AssertSameHeader(message, read);
        Assert.True(read.Target.IsDefault);
        Assert.True(read.SendingGrain.IsDefault);
    }

    [Fact]
    public void TheFrameStartsWithItsLengthAndTheProtocolVersion()
    {
        byte[] frame = MessageSamples.Frame(MessageSamples.Request());
        Assert.Equal((uint)(frame.Length - 4), BinaryPrimitives.ReadUInt32LittleEndian(frame));
        Assert.Equal(MessageSerializer.ProtocolVersion, frame[4]);
    }

    [Fact]
    public void AFrameSplitAcrossSegmentsAtAnyPointIsRead()
    {
        Message message = MessageSamples.Request();
        byte[] frame = MessageSamples.Frame(message);
        for (int cut = 1; cut < frame.Length; cut++)
        {
            ReadOnlySequence<byte> buffer = MessageSamples.Split(frame, cut);
            Assert.True(MessageSerializer.TryReadFrame(ref buffer, MessageSerializer.DefaultMaxFrameBytes, out Message? read));
            MessageSamples.AssertSameHeader(message, read);
        }

        ReadOnlySequence<byte> manySegments = MessageSamples.Split(frame, 1, 2, 3, 5, 8, 13, 21, 34);
        Assert.True(MessageSerializer.TryReadFrame(ref manySegments, MessageSerializer.DefaultMaxFrameBytes, out Message? fromMany));
        MessageSamples.AssertSameHeader(message, fromMany);
    }

    [Fact]
    public void SeveralFramesInOneBufferAreReadOneAfterAnother()
    {
        byte[] first = MessageSamples.Frame(MessageSamples.Request());
        byte[] second = MessageSamples.Frame(MessageSamples.Response(ResponseStatus.Ok));
        ReadOnlySequence<byte> buffer = MessageSamples.Split([.. first, .. second], first.Length + 3);
        Assert.True(MessageSerializer.TryReadFrame(ref buffer, MessageSerializer.DefaultMaxFrameBytes, out Message? a));
        Assert.True(MessageSerializer.TryReadFrame(ref buffer, MessageSerializer.DefaultMaxFrameBytes, out Message? b));
        Assert.Equal(MessageKind.Request, a.Kind);
        Assert.Equal(MessageKind.Response, b.Kind);
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void AnIncompleteFrameConsumesNothingAndWaitsForMoreData()
    {
        byte[] frame = MessageSamples.Frame(MessageSamples.Request());
        for (int length = 0; length < frame.Length; length++)
        {
            ReadOnlySequence<byte> buffer = new(frame, 0, length);
            Assert.False(MessageSerializer.TryReadFrame(ref buffer, MessageSerializer.DefaultMaxFrameBytes, out _));
            Assert.Equal(length, buffer.Length);
            Assert.False(MessageSerializer.TryReadFrame(frame.AsSpan(0, length), MessageSerializer.DefaultMaxFrameBytes, out _, out int consumed));
            Assert.Equal(0, consumed);
        }
    }

    [Fact]
    public void AFrameOverTheLimitIsRejectedFromItsLengthPrefixAlone()
    {
        byte[] prefix = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(prefix, MessageSerializer.DefaultMaxFrameBytes + 1);
        ReadOnlySequence<byte> buffer = new(prefix);
        Assert.Throws<MessageFormatException>(() => MessageSerializer.TryReadFrame(ref buffer, MessageSerializer.DefaultMaxFrameBytes, out _));

        BinaryPrimitives.WriteUInt32LittleEndian(prefix, uint.MaxValue);
        Assert.Throws<MessageFormatException>(() => MessageSerializer.TryReadFrame(prefix, MessageSerializer.DefaultMaxFrameBytes, out _, out _));

        byte[] frame = MessageSamples.Frame(MessageSamples.Request());
        Assert.Throws<MessageFormatException>(() => MessageSerializer.TryReadFrame(frame, frame.Length - 5, out _, out _));
    }

    [Fact]
    public void WritingAMessageOverTheLimitFailsAndWritesNothing()
    {
        Message message = MessageSamples.Request();
        message.Body = new byte[1000];
        using PulseWriter writer = new();
        Assert.Throws<MessageFormatException>(() => MessageSerializer.Write(writer, message, maxFrameBytes: 1000));
        Assert.Equal(0, writer.Position);
        ArrayBufferWriter<byte> output = new();
        Assert.Throws<MessageFormatException>(() => MessageSerializer.Write(output, message, maxFrameBytes: 1000));
        Assert.Equal(0, output.WrittenCount);
    }

    [Fact]
    public void WritingToABufferWriterProducesTheSameBytes()
    {
        Message message = MessageSamples.Request();
        message.Body = Enumerable.Range(0, 10_000).Select(i => (byte)i).ToArray();
        ArrayBufferWriter<byte> output = new();
        MessageSerializer.Write(output, message);
        Assert.Equal(MessageSamples.Frame(message), output.WrittenSpan.ToArray());
    }

    [Fact]
    public void AnUnknownProtocolVersionIsRejected()
    {
        byte[] frame = MessageSamples.Frame(MessageSamples.Request());
        frame[4] = 2;
        MessageFormatException error = Assert.Throws<MessageFormatException>(() => MessageSerializer.TryReadFrame(frame, MessageSerializer.DefaultMaxFrameBytes, out _, out _));
        Assert.Contains("version 2", error.Message);
    }

    [Theory]
    [InlineData(0, 8)] // kind
    [InlineData(1, 6)] // status
    public void UnknownKindsAndStatusesAreRejected(int headerOffset, byte value)
    {
        byte[] frame = MessageSamples.Frame(MessageSamples.Request());
        frame[HeaderStart(frame) + headerOffset] = value;
        Assert.Throws<MessageFormatException>(() => MessageSerializer.TryReadFrame(frame, MessageSerializer.DefaultMaxFrameBytes, out _, out _));
    }

    [Fact]
    public void FlagsWiderThanSixteenBitsAreRejected()
    {
        byte[] frame = BuildFrame(header =>
        {
            header.WriteByte(0);
            header.WriteByte(0);
            header.WriteByte(0);
            header.WriteVarUInt32(0x1_0000);
        });
        Assert.Throws<MessageFormatException>(() => MessageSerializer.TryReadFrame(frame, MessageSerializer.DefaultMaxFrameBytes, out _, out _));
    }

    [Fact]
    public void ARequestWithoutTargetOrInterfaceIsRejectedOnWriteAndRead()
    {
        Message message = MessageSamples.Request();
        message.Target = default;
        using PulseWriter writer = new();
        Assert.Throws<ArgumentException>(() => MessageSerializer.Write(writer, message));

        byte[] frame = BuildFrame(header =>
        {
            header.WriteByte((byte)MessageKind.Request);
            header.WriteByte(0);
            header.WriteByte(0);
            header.WriteVarUInt32(0);
            header.WriteVarUInt64(1);
            header.WriteVarUInt32(1);
            header.WriteVarUInt32(0);
            header.WriteStringPayload("iface");
            header.WriteByte(0);
            header.WriteByte(0);
        });
        Assert.Throws<MessageFormatException>(() => MessageSerializer.TryReadFrame(frame, MessageSerializer.DefaultMaxFrameBytes, out _, out _));
    }

    [Fact]
    public void HeaderFieldsAddedByALaterRevisionAreSkipped()
    {
        byte[] frame = BuildFrame(header =>
        {
            header.WriteByte((byte)MessageKind.Response);
            header.WriteByte((byte)ResponseStatus.Timeout);
            header.WriteByte(0);
            header.WriteVarUInt32(0);
            header.WriteVarUInt64(77);
            header.WriteVarUInt32(0);
            header.WriteVarUInt32(0);
            header.WriteByte(0);
            header.WriteByte(0);
            header.WriteByte(0);
            header.WriteBytes([0xFF, 0xFE, 0xFD]);
        }, body: [9]);
        Assert.True(MessageSerializer.TryReadFrame(frame, MessageSerializer.DefaultMaxFrameBytes, out Message? message, out _));
        Assert.Equal(77, message.CorrelationId);
        Assert.Equal(ResponseStatus.Timeout, message.Status);
        Assert.Equal([9], message.Body.ToArray());
    }

    [Fact]
    public void HeaderLengthsAndStringsRunningPastTheirBoundsAreRejected()
    {
        byte[] frame = MessageSamples.Frame(MessageSamples.Request());
        byte[] headerTooLong = (byte[])frame.Clone();
        headerTooLong[5] = 0x7F;
        Assert.Throws<MessageFormatException>(() => MessageSerializer.TryReadFrame(headerTooLong, MessageSerializer.DefaultMaxFrameBytes, out _, out _));

        byte[] aliasTooLong = BuildFrame(header =>
        {
            header.WriteBytes([1, 0, 0, 0, 0, 0, 0]);
            header.WriteVarUInt32(50);
            header.WriteBytes("abc"u8);
        });
        Assert.Throws<MessageFormatException>(() => MessageSerializer.TryReadFrame(aliasTooLong, MessageSerializer.DefaultMaxFrameBytes, out _, out _));

        byte[] invalidUtf8 = BuildFrame(header =>
        {
            header.WriteBytes([1, 0, 0, 0, 0, 0, 0]);
            header.WriteBytesPayload([0xC0, 0xAF]);
            header.WriteByte(0);
            header.WriteByte(0);
        });
        Assert.Throws<MessageFormatException>(() => MessageSerializer.TryReadFrame(invalidUtf8, MessageSerializer.DefaultMaxFrameBytes, out _, out _));

        byte[] empty = new byte[4];
        Assert.Throws<MessageFormatException>(() => MessageSerializer.TryReadFrame(empty, MessageSerializer.DefaultMaxFrameBytes, out _, out _));
    }

    [Fact]
    public void ARequestMessageCarriesTheArgumentsOfItsGrainRequest()
    {
        EchoRequest request = new() { Text = "hi", Numbers = [1, 2, 3] };
        GrainId target = GrainId.Create("echo", "one");
        Message message = Message.CreateRequest(target, request, correlationId: 5, timeToLiveMilliseconds: 1000);
        Assert.Equal(MessageFlags.Idempotent, message.Flags);
        ReadOnlySequence<byte> buffer = new(MessageSamples.Frame(message));
        Assert.True(MessageSerializer.TryReadFrame(ref buffer, MessageSerializer.DefaultMaxFrameBytes, out Message? read));
        Assert.Equal(EchoRequest.Descriptor.MethodId, read.MethodId);
        Assert.Equal(new GrainType("echo"), read.InterfaceType);

        EchoRequest received = new();
        RequestBody.Read(read.Body, received);
        Assert.Equal("hi", received.Text);
        Assert.Equal([1, 2, 3], received.Numbers);

        Message response = read.CreateResponse(ResponseStatus.Ok, ResponseBody.SerializeResult("hi"));
        Assert.Equal(5, response.CorrelationId);
        Assert.Equal("hi", ResponseBody.ReadResult<string>(response));
    }

    [Fact]
    public void AReadMessageOwnsItsBody()
    {
        byte[] frame = MessageSamples.Frame(MessageSamples.Request());
        Assert.True(MessageSerializer.TryReadFrame(frame, MessageSerializer.DefaultMaxFrameBytes, out Message? message, out _));
        Array.Clear(frame);
        Assert.Equal([1, 2, 3, 4, 5], message.Body.ToArray());
    }

    private static int HeaderStart(byte[] frame)
    {
        Assert.True(frame[5] < 0x80, "the sample header length fits one varint byte");
        return 6;
    }

    private static byte[] BuildFrame(Action<PulseWriter> header, byte[]? body = null)
    {
        using PulseWriter headerWriter = new();
        header(headerWriter);
        using PulseWriter frame = new();
        frame.WriteFixed32(0);
        frame.WriteByte(MessageSerializer.ProtocolVersion);
        frame.WriteVarUInt32((uint)headerWriter.Position);
        frame.WriteBytes(headerWriter.WrittenSpan);
        frame.WriteBytes(body ?? []);
        frame.PatchFixed32(0, (uint)(frame.Position - 4));
        return frame.ToArray();
    }
}
