parse arg a
say a
