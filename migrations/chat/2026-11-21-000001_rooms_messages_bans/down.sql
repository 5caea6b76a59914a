DROP TABLE chat_bans;
DROP TABLE chat_messages;
DROP TABLE chat_rooms;
