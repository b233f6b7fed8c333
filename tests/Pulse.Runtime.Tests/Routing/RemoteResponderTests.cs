using Pulse.Runtime.Messaging;
using Pulse.Runtime.Routing;
using Pulse.Runtime.Tests.Messaging;

namespace Pulse.Runtime.Tests.Routing;

public sealed class RemoteResponderTests
{
    [Fact]
    public void RequestTurnedIntoItsResponseMatchesCreateResponse()
    {
        byte[] body = [9, 8, 7];
        Message expected = MessageSamples.Request().CreateResponse(ResponseStatus.Exception, body);

        Message actual = RemoteResponder<int>.ToResponse(MessageSamples.Request(), ResponseStatus.Exception, body);

        MessageSamples.AssertSameHeader(expected, actual);
        Assert.Equal(body, actual.Body.ToArray());
    }

    [Fact]
    public void ResponderAnswersOnceEvenWhenCompletedTwice()
    {
        var channel = new RecordingChannel();
        var responder = new RemoteResponder<int>(channel, MessageSamples.Request());

        responder.SetResult(42);
        responder.SetException(new InvalidOperationException("late"));
        responder.SetResult(43);

        Message reply = Assert.Single(channel.Replies);
        Assert.Equal(MessageKind.Response, reply.Kind);
        Assert.Equal(ResponseStatus.Ok, reply.Status);
        Assert.Equal(42, ResponseBody.ReadResult<int>(reply));
    }

    private sealed class RecordingChannel : IReplyChannel
    {
        public List<Message> Replies { get; } = [];

        public void Reply(Message message) => Replies.Add(message);
    }
}
