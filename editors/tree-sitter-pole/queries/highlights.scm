; Highlights for Pole IR, in the capture names Neovim, Helix and the
; tree-sitter CLI share. Later patterns win over earlier ones.

(comment) @comment

; Literals
(string) @string
(escape_sequence) @string.escape
(integer) @number
(float) @number.float
(boolean) @boolean
(unit) @constant.builtin

; Declarations
(function_declaration name: (identifier) @function)
(extern_declaration name: (identifier) @function)
(type_declaration name: (identifier) @type.definition)
(type_parameter) @type.parameter
(const_declaration name: (identifier) @constant)
(parameter name: (identifier) @variable.parameter)
(lambda_parameter name: (identifier) @variable.parameter)
(field_declaration name: (identifier) @property)
(constructor_declaration name: (identifier) @constructor)

; Types
(type_name name: (identifier) @type)
((type_name name: (identifier) @type.builtin)
  (#match? @type.builtin "^(Int|Int8|Int16|Int32|UInt8|UInt16|UInt32|Float32|Float64|Bool|String|Unit|List|HashMap|Option|Result|Ptr)$"))

; Uses
(call function: (identifier) @function.call)
(call function: (dotted_name) @function.builtin)
(dotted_name) @function.builtin
(field_identifier) @property
(constructor_pattern constructor: (identifier) @constructor)
((identifier) @constructor
  (#match? @constructor "^[A-Z]"))
((call function: (identifier) @constructor)
  (#match? @constructor "^[A-Z]"))
((identifier) @constant
  (#match? @constant "^[A-Z][A-Z0-9_]+$"))

; Annotations
(annotation "@" @attribute name: (identifier) @attribute)

; Keywords
[
  "func"
  "type"
  "extern"
  "import"
  "const"
  "let"
  "in"
] @keyword

[
  "if"
  "then"
  "else"
  "match"
  "with"
] @keyword.conditional

[
  "requires"
  "ensures"
] @keyword

[
  "not"
  "and"
  "or"
] @keyword.operator

; Operators and punctuation
[
  "+" "-" "*" "/" "%"
  "==" "!=" "<" "<=" ">" ">="
  "&&" "||" "!" "=>"
  "&&&" "|||" "^^^" "~~~" "<<<" ">>>"
  "=" "->" "::" "\\"
] @operator

(wildcard) @variable.builtin
(variadic) @punctuation.special

["(" ")" "[" "]" "{" "}"] @punctuation.bracket
["," ":" ";" "." "|"] @punctuation.delimiter
