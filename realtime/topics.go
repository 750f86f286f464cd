package realtime

import "fmt"

// ConversationTopic carries "message n was added" wake-ups of one conversation (chat.Stream).
func ConversationTopic(conversationID fmt.Stringer) string {
	return "conversation:" + conversationID.String()
}

// TypingTopic carries the ephemeral "someone is typing" events of one conversation; they are
// never stored, so a missed one is simply gone.
func TypingTopic(conversationID fmt.Stringer) string {
	return "typing:" + conversationID.String()
}

// UserConversationsTopic carries "one of your conversations changed" events of one member
// (conversationUpdated). It is separate from UserTopic, whose every wake-up means "your account
// changed".
func UserConversationsTopic(userID fmt.Stringer) string {
	return "user-conversations:" + userID.String()
}

// NotificationsTopic carries one member's new notifications (notificationAdded).
func NotificationsTopic(userID fmt.Stringer) string {
	return "notifications:" + userID.String()
}
