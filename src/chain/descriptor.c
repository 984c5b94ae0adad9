/* placeholder: being written */
typedef int iop_placeholder_descriptor;
