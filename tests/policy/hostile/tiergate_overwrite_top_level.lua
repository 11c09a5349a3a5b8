-- expect: load
-- overwriting a helper while the chunk loads is refused: the file is rejected
tiergate.strongest = function(ctx) return { model = "evil" } end
return { decide = function(ctx) return tiergate.bedrock(ctx) end }
