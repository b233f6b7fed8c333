using System.Buffers;
using Pulse.Runtime.Messaging;
using Pulse.Runtime.Serialization;

namespace Pulse.Runtime.Tests.Messaging;

public sealed class MessageFuzzTests
{
    private const int Iterations = 20_000;

    [Fact]
    public void CorruptedFramesOnlyEverParseWaitOrFailWithMessageFormatException()
    {
        Random random = new(20_240_601);
        byte[][] templates =
        [
            MessageSamples.Frame(MessageSamples.Request()),
            MessageSamples.Frame(MessageSamples.Response(ResponseStatus.Ok)),
            MessageSamples.Frame(MessageSamples.Response(ResponseStatus.Exception)),
            MessageSamples.Frame(new Message { Kind = MessageKind.Cancel, Target = GrainId.Create("a", "b"), CorrelationId = long.MinValue }),
        ];
        int parsed = 0, incomplete = 0, rejected = 0;
        for (int i = 0; i < Iterations; i++)
        {
            byte[] frame = Mutate(random, templates[random.Next(templates.Length)]);
            try
            {
                ReadOnlySequence<byte> buffer = frame.Length > 2
                    ? MessageSamples.Split(frame, random.Next(1, frame.Length))
                    : new ReadOnlySequence<byte>(frame);
                bool sequenceResult = MessageSerializer.TryReadFrame(ref buffer, 4096, out Message? fromSequence);
                bool spanResult = MessageSerializer.TryReadFrame(frame, 4096, out Message? fromSpan, out _);
                Assert.Equal(sequenceResult, spanResult);
                if (sequenceResult)
                {
                    MessageSamples.AssertSameHeader(fromSpan!, fromSequence!);
                    parsed++;
                }
                else
                {
                    incomplete++;
                }
            }
            catch (MessageFormatException)
            {
                rejected++;
            }
        }

        // Each outcome must actually occur, or the mutations are not exercising the parser.
        Assert.True(parsed > 100, $"parsed {parsed}");
        Assert.True(incomplete > 100, $"incomplete {incomplete}");
        Assert.True(rejected > 100, $"rejected {rejected}");
    }

    [Fact]
    public void CorruptedBodiesOnlyEverDeserializeOrFailWithPulseSerializationException()
    {
        Random random = new(7);
        byte[] template = ResponseBody.SerializeResult(new Dictionary<string, List<int?>>
        {
            ["a"] = [1, null, -3],
            ["😀"] = [],
        });
        byte[] exception = ResponseBody.SerializeException(new InconsistentStateException("stale", "1", "2"));
        int rejected = 0;
        for (int i = 0; i < Iterations / 4; i++)
        {
            byte[] body = Mutate(random, template);
            try
            {
                ResponseBody.ReadResult<Dictionary<string, List<int?>>>(ResponseStatus.Ok, body);
            }
            catch (PulseSerializationException)
            {
                rejected++;
            }

            // A failure body never throws while being read: corruption turns into the returned exception.
            Assert.NotNull(ResponseBody.ReadFailure(ResponseStatus.Exception, Mutate(random, exception)));
        }

        Assert.True(rejected > 100, $"rejected {rejected}");
    }

    private static byte[] Mutate(Random random, byte[] template)
    {
        byte[] frame = (byte[])template.Clone();
        switch (random.Next(4))
        {
            case 0:
                return frame.AsSpan(0, random.Next(frame.Length)).ToArray();
            case 1:
                for (int flips = random.Next(1, 4); flips > 0; flips--)
                {
                    int bit = random.Next(frame.Length * 8);
                    frame[bit / 8] ^= (byte)(1 << (bit % 8));
                }

                return frame;
            case 2:
                frame[random.Next(frame.Length)] = (byte)random.Next(256);
                return frame;
            default:
                // Mostly intact frames with the length prefix untouched exercise the header parser most.
                int index = 4 + random.Next(frame.Length - 4);
                frame[index] = (byte)random.Next(256);
                return frame;
        }
    }
}
