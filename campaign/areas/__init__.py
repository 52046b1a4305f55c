"""Administrative areas (行政区划): county → township → village/community → grid."""
