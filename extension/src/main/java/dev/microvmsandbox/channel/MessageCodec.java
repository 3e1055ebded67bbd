package dev.microvmsandbox.channel;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.Set;

/**
 * JSON for {@link Message}s, with limits on what a peer can make the reader do.
 *
 * <p>Decoding has two outcomes for what is wrong: a message that is not JSON of a known type, or
 * whose id is not a number, breaks the channel ({@link ProtocolException}); a test event that is
 * well-formed JSON but breaks {@link TestEventRules} becomes a {@link Message.Rejected} for its
 * request, so only the test run it claims to belong to answers for it.
 */
final class MessageCodec {

    static final int MAX_MESSAGE_BYTES = 256 * 1024;
    static final int MAX_NESTING = 64;
    static final int MAX_STRING = 128 * 1024;

    private static final Set<String> TEST_EVENT_TYPES =
            Set.of("test-registered", "test-started", "test-skipped", "test-finished", "test-reported", "test-printed");

    private final ObjectMapper mapper;

    MessageCodec() {
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(MAX_NESTING)
                        .maxStringLength(MAX_STRING)
                        .maxNumberLength(32)
                        .maxDocumentLength(MAX_MESSAGE_BYTES)
                        .build())
                .build();
        mapper = JsonMapper.builder(factory)
                .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .build();
    }

    byte[] encode(Message message) {
        if (message instanceof Message.Rejected) {
            throw new IllegalArgumentException("a rejected event is never sent");
        }
        try {
            return mapper.writeValueAsBytes(message);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(
                    "cannot encode " + message.getClass().getSimpleName(), e);
        }
    }

    Message decode(byte[] json) throws ProtocolException {
        if (json.length > MAX_MESSAGE_BYTES) {
            throw new ProtocolException("message of " + json.length + " bytes exceeds " + MAX_MESSAGE_BYTES);
        }
        JsonNode tree;
        try {
            tree = mapper.readTree(json);
        } catch (Exception e) {
            throw new ProtocolException("invalid message: " + firstLine(e.getMessage()), e);
        }
        if (tree == null || !tree.isObject()) {
            throw new ProtocolException("invalid message: not a JSON object");
        }
        String type = tree.path("type").isTextual() ? tree.get("type").asText() : null;
        JsonNode id = tree.get("id");
        boolean testEvent = type != null && TEST_EVENT_TYPES.contains(type) && id != null && id.isInt();
        Message message;
        try {
            message = mapper.treeToValue(tree, Message.class);
        } catch (Exception e) {
            if (testEvent) {
                return new Message.Rejected(id.intValue(), type, firstLine(e.getMessage()));
            }
            throw new ProtocolException("invalid message: " + firstLine(e.getMessage()), e);
        }
        if (message == null) {
            throw new ProtocolException("empty message");
        }
        if (message instanceof Message.TestEvent event) {
            String problem = TestEventRules.problem(event);
            if (problem != null) {
                return new Message.Rejected(event.id(), type, problem);
            }
        }
        return message;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }
}
