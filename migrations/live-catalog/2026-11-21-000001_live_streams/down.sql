DROP TABLE live_streams;
